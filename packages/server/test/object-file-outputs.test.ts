/** A predictor returning an interface with a `Path` field: over HTTP the field is a data: URI, the text beside it unchanged. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject } from "@tscog/runtime/testing";
import { serve } from "../src/index.js";
import { postJson } from "./helpers.js";

const PREDICT = `import { BasePredictor, type Path } from "tscog";
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
interface Result {
  caption: string;
  image: Path;
}
export class Predictor extends BasePredictor {
  async predict(): Promise<Result> {
    const image = join(await mkdtemp(join(tmpdir(), "tscog-object-output-")), "out.txt");
    await writeFile(image, "pixels");
    return { caption: image, image: image as Path };
  }
}
`;

test("a Path inside an object output leaves the server as a data: URI; a string field holding a path stays a string", async () => {
  const server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT }) });
  try {
    await server.ready;
    const schema = ((await (await fetch(`${server.url}/openapi.json`)).json()) as { components: { schemas: { Output: unknown } } }).components.schemas.Output;
    assert.deepEqual((schema as { properties: { image: { format: string } } }).properties.image.format, "uri");
    const res = await postJson(`${server.url}/predictions`, { input: {} });
    const body = (await res.json()) as { status: string; output: { caption: string; image: string } };
    assert.equal(body.status, "succeeded");
    assert.equal(body.output.image, `data:text/plain;base64,${Buffer.from("pixels").toString("base64")}`);
    assert.match(body.output.caption, /tscog-object-output-.*out\.txt$/);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
