/** Which strings of an output are files is decided by the Output schema, however deep the `Path` sits. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileOutputEncoder, outputHoldsFiles } from "../src/files.js";

const PATH = { type: "string", format: "uri" };
const encodeFile = async (file: string) => `encoded:${file}`;

test("Path fields inside objects, lists of objects, records and nullable unions are encoded; strings beside them are not", async () => {
  const output = {
    type: "object",
    properties: {
      caption: { type: "string" },
      image: PATH,
      boxes: { type: "array", items: { type: "object", properties: { crop: PATH, label: { type: "string" } } } },
      masks: { type: "object", additionalProperties: PATH },
      thumbnail: { anyOf: [PATH, { type: "null" }] },
    },
  };
  assert.equal(outputHoldsFiles(output), true);
  const encode = fileOutputEncoder(output, encodeFile)!;
  const value = {
    caption: "/tmp/looks-like-a-path.png",
    image: "/tmp/a.png",
    boxes: [{ crop: "/tmp/b.png", label: "/tmp/not-a-file" }],
    masks: { sky: "/tmp/sky.png" },
    thumbnail: null,
  };
  assert.deepEqual(await encode(value), {
    caption: "/tmp/looks-like-a-path.png",
    image: "encoded:/tmp/a.png",
    boxes: [{ crop: "encoded:/tmp/b.png", label: "/tmp/not-a-file" }],
    masks: { sky: "encoded:/tmp/sky.png" },
    thumbnail: null,
  });
  assert.deepEqual(await encode({ ...value, thumbnail: "/tmp/t.png" }).then((v) => (v as { thumbnail: string }).thumbnail), "encoded:/tmp/t.png");
  // URLs and data: URIs a predictor returns are already what clients get.
  assert.deepEqual(await encode({ image: "https://example.com/a.png" }), { image: "https://example.com/a.png" });
});

test("a Path, a list of them and an iterator's chunks are encoded; outputs without files get no encoder", async () => {
  assert.equal(await fileOutputEncoder(PATH, encodeFile)!("/tmp/x.wav"), "encoded:/tmp/x.wav");
  const list = { type: "array", items: PATH };
  assert.deepEqual(await fileOutputEncoder(list, encodeFile)!(["/a", "/b"]), ["encoded:/a", "encoded:/b"]);
  const iterator = { type: "array", items: PATH, "x-cog-array-type": "iterator" };
  assert.equal(await fileOutputEncoder(iterator, encodeFile)!("/tmp/frame-1.png"), "encoded:/tmp/frame-1.png");
  for (const schema of [undefined, { type: "string" }, { type: "object", properties: { text: { type: "string" } } }, { type: "array", items: { type: "integer" } }]) {
    assert.equal(outputHoldsFiles(schema), false);
    assert.equal(fileOutputEncoder(schema, encodeFile), undefined);
  }
});
