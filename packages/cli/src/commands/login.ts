import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { TscogError } from "@tscog/sdk";
import { storeCredentials, verifyLogin } from "@tscog/image";
import { collect, runAction } from "../command-helpers.js";

interface LoginFlags {
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
      runAction(async (flags: LoginFlags, registryArg?: string) => {
        const registry = (registryArg ?? "docker.io").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
        if (!registry || /\s/.test(registry)) throw new TscogError("BAD_REQUEST", `${JSON.stringify(registryArg)} is not a registry host such as ghcr.io or localhost:5000.`);
        const username = flags.username ?? (await prompt("Username: ", false));
        const password = flags.passwordStdin ? await readStdin() : await prompt("Password: ", true);
        if (!username) throw new TscogError("BAD_REQUEST", "tscog login: the user name is empty.");
        if (!password) throw new TscogError("BAD_REQUEST", `tscog login: the password is empty${flags.passwordStdin ? " (nothing came on standard input)" : ""}.`);
        await verifyLogin(registry, username, password, { insecureRegistries: flags.insecureRegistry });
        const where = await storeCredentials(registry, username, password);
        process.stderr.write(`Login succeeded: credentials for ${registry} stored in ${where}\n`);
      }),
    );
}
