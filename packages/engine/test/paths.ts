/** Where the tests find the built-in model and fixtures. */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** packages/engine (tests run from packages/engine/dist/test). */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The built-in model committed in templates/tiny-lm/model. */
export const TINY_LM = path.resolve(PACKAGE_DIR, "../../templates/tiny-lm/model");
export const FIXTURES = path.join(PACKAGE_DIR, "test/fixtures");
