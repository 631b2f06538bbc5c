import { Command } from "commander";
import { collect, runAction } from "../command-helpers.js";
import type { LoginFlags } from "./login-action.js";

/** `tscog login [REGISTRY]`: checks credentials against the registry and stores them where `tscog push` (and Docker) read them. */
export function registerLogin(program: Command): Command {
  return program
    .command("login")
    .description("Log in to a container registry: check the credentials, then store them in the Docker config that tscog push reads")
    .argument("[registry]", "registry host[:port] (default docker.io)")
    .option("-u, --username <user>", "user name (asked when missing)")
    .option("--password-stdin", "read the password or token from standard input")
    .option("--insecure-registry <host>", "allow plain http for this registry (localhost always is; repeatable)", collect, [])
    .option("--debug", "show stack traces")
    .action(
      runAction(async (flags: LoginFlags, registryArg?: string) => (await import("./login-action.js")).loginCommand(flags, registryArg)),
    );
}
