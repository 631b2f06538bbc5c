/** Prediction ids: 26 base32 characters, as Cog recommends. */

const ID_ALPHABET = Buffer.from("abcdefghijklmnopqrstuvwxyz234567", "latin1");
const ID_LENGTH = 26;
// Random bytes are drawn 128 ids at a time (one call to the CSPRNG costs more than an
// id) and mapped to the alphabet in place, so an id is one flat slice.
const idChars = Buffer.alloc(ID_LENGTH * 128);
let idOffset = idChars.length;

/** A 26-character base32 id like Cog's recommended ones. */
export function newPredictionId(): string {
  if (idOffset === idChars.length) {
    crypto.getRandomValues(idChars);
    for (let i = 0; i < idChars.length; i++) idChars[i] = ID_ALPHABET[idChars[i]! & 31]!;
    idOffset = 0;
  }
  idOffset += ID_LENGTH;
  return idChars.toString("latin1", idOffset - ID_LENGTH, idOffset);
}
