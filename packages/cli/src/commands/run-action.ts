import { delimiter, join } from "node:path";
import { constants } from "node:os";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { loadProject, projectEnvironment } from "@tscog/runtime";
import { DockerEnginePublisher, IMAGE_PATHS, isDockerAvailable } from "@tscog/image";
import { parseEnvFlags } from "../env-flags.js";
import type { ImageFlags } from "../image-build-options.js";
import { buildImageForProject } from "./build-action.js";
import { runImageName } from "./run.js";

// The implementation of `tscog run`, loaded only when it runs.

/** Flags of `tscog run`. */
export interface RunFlags extends ImageFlags {
  env: string[];
  publish: string[];
  local?: boolean;
}

/** The exit code of a child: its own, or 128 + the signal number that ended it (as a shell reports it). */
function exitCodeOf(result: { exitCode?: number; signal?: string }): number {
  if (typeof result.exitCode === "number") return result.exitCode;
  const signo = result.signal ? (constants.signals as Record<string, number>)[result.signal] : undefined;
  return signo ? 128 + signo : 1;
}

/** `-p 8888` publishes 8888 on 8888, as `cog run -p` does; `HOST:CONTAINER` forms pass through to docker. */
function publishArgs(ports: readonly string[]): string[] {
  return ports.flatMap((p) => {
    if (/^\d+$/.test(p)) return ["-p", `${p}:${p}`];
    if (/^[\w.:[\]-]+$/.test(p)) return ["-p", p];
    throw new TscogError("BAD_REQUEST", `-p ${JSON.stringify(p)}: expected a port such as 8888, or HOST_PORT:CONTAINER_PORT.`);
  });
}

/** Runs the command on this machine, in the project directory with its cog.yaml environment. */
async function runLocally(flags: RunFlags, argv: string[], env: Record<string, string>, dir: string): Promise<number> {
  const path = [join(dir, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter);
  const result = await execa(argv[0]!, argv.slice(1), { cwd: dir, env: { ...env, PATH: path }, stdio: "inherit", reject: false });
  if (result.exitCode === undefined && result.signal === undefined) {
    // It never started: not found or not executable.
    const code = (result as { code?: string }).code;
    throw new TscogError("BAD_REQUEST", `tscog run --local: cannot start ${JSON.stringify(argv[0])}: ${code === "ENOENT" ? "no such command (PATH has the project's node_modules/.bin first)" : code ?? result.message}.`);
  }
  return exitCodeOf(result);
}

/**
 * Runs the command in the project's image: builds it (cached layers), loads it
 * into Docker, and runs it with the project directory mounted at /src and the
 * working directory there, as `cog run` does. The exit code is the command's.
 */
async function runInImage(flags: RunFlags, argv: string[], env: Record<string, string>, dir: string): Promise<number> {
  if (!(await isDockerAvailable())) {
    throw new TscogError("REGISTRY", "tscog run needs a running Docker engine to run the command in the project's image.", {
      hint: "Start Docker, or run the command on this machine with the project's environment: tscog run --local -- COMMAND",
    });
  }
  const tag = runImageName(dir);
  const { image } = await buildImageForProject({ ...flags, progress: flags.progress ?? "quiet" });
  await new DockerEnginePublisher({ tags: [tag] }).publish(image);
  const user = typeof process.getuid === "function" ? [`--user`, `${process.getuid()}:${process.getgid!()}`] : [];
  const tty = process.stdin.isTTY && process.stdout.isTTY ? ["-it"] : ["-i"];
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  process.stderr.write(`Running '${argv.join(" ")}' in ${tag} with ${dir} mounted at ${IMAGE_PATHS.src}…\n`);
  const args = ["run", "--rm", ...tty, ...user, "-v", `${dir}:${IMAGE_PATHS.src}`, "-w", IMAGE_PATHS.src, ...envArgs, ...publishArgs(flags.publish), "--entrypoint", argv[0]!, tag, ...argv.slice(1)];
  const result = await execa("docker", args, { stdio: "inherit", reject: false });
  return exitCodeOf(result);
}

/** `tscog run`: the command in the project's image, or with --local here; resolves to its exit code. */
export async function runCommand(flags: RunFlags, argv: string[]): Promise<number> {
  const project = await loadProject(flags.project);
  const env = { ...projectEnvironment(project.config), ...parseEnvFlags(flags.env) };
  if (flags.local) return runLocally(flags, argv, { ...process.env, ...env } as Record<string, string>, project.dir);
  return runInImage(flags, argv, env, project.dir);
}
