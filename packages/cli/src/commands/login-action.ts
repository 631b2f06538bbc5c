import { createInterface } from "node:readline/promises";
import { TscogError } from "@tscog/sdk";
import { storeCredentials, verifyLogin } from "@tscog/image";

// The implementation of `tscog login`, loaded only when it runs.

/** Flags of `tscog login`. */
export interface LoginFlags {
  username?: string;
  passwordStdin?: boolean;
  insecureRegistry: string[];
  debug?: boolean;
}

/** Reads all of standard input (a password or token piped in), without its final newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Asks on the terminal; `hidden` does not echo what is typed. */
async function prompt(question: string, hidden: boolean): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new TscogError("BAD_REQUEST", `tscog login needs ${hidden ? "a password" : "a user name"}, and standard input is not a terminal to ask on.`, {
      hint: "Pass -u USER and pipe the password (or token) in with --password-stdin.",
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) {
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stderr.write(question);
    };
  }
  try {
    return await rl.question(question);
  } finally {
    rl.close();
    if (hidden) process.stderr.write("\n");
  }
}

/** `tscog login [REGISTRY]`: asks for what is missing, checks the credentials and stores them. */
export async function loginCommand(flags: LoginFlags, registryArg?: string): Promise<void> {
  const registry = (registryArg ?? "docker.io").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!registry || /\s/.test(registry)) throw new TscogError("BAD_REQUEST", `${JSON.stringify(registryArg)} is not a registry host such as ghcr.io or localhost:5000.`);
  const username = flags.username ?? (await prompt("Username: ", false));
  const password = flags.passwordStdin ? await readStdin() : await prompt("Password: ", true);
  if (!username) throw new TscogError("BAD_REQUEST", "tscog login: the user name is empty.");
  if (!password) throw new TscogError("BAD_REQUEST", `tscog login: the password is empty${flags.passwordStdin ? " (nothing came on standard input)" : ""}.`);
  await verifyLogin(registry, username, password, { insecureRegistries: flags.insecureRegistry });
  const where = await storeCredentials(registry, username, password);
  process.stderr.write(`Login succeeded: credentials for ${registry} stored in ${where}\n`);
}
