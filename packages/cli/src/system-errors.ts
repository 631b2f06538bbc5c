import { TscogError } from "@tscog/sdk";

type SystemError = NodeJS.ErrnoException & { address?: string; port?: number };

const WRITE_PROBLEMS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
};

/**
 * Turns the operating system's refusals (a port in use, a path that cannot
 * be written) into TscogErrors with their own exit codes, so they are never
 * reported as bugs in tscog. Undefined for anything else.
 */
export function fromSystemError(err: unknown): TscogError | undefined {
  if (!err || typeof err !== "object" || err instanceof TscogError) return undefined;
  const e = err as SystemError;
  const where = e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ""}` : "the address";
  switch (e.code) {
    case "EADDRINUSE":
      return new TscogError("ADDRESS_IN_USE", `Cannot listen on ${where}: another program is already using that port.`, {
        cause: err, hint: "Stop that program, or choose another port with --port (--port 0 picks a free one).",
      });
    case "EADDRNOTAVAIL":
      return new TscogError("ADDRESS_IN_USE", `Cannot listen on ${where}: that address does not belong to this machine.`, {
        cause: err, hint: "Use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface).",
      });
    case "ERR_SOCKET_BAD_PORT":
      return new TscogError("BAD_REQUEST", `Invalid port: ${e.message}`, { cause: err, hint: "A port is a whole number from 0 to 65535 (0 picks a free one)." });
  }
  if (e.syscall === "listen" && (e.code === "EACCES" || e.code === "EPERM")) {
    return new TscogError("ADDRESS_IN_USE", `Cannot listen on ${where}: this user may not use that port (ports below 1024 need extra privileges).`, {
      cause: err, hint: "Choose a port from 1024 up with --port.",
    });
  }
  const problem = e.code ? WRITE_PROBLEMS[e.code] : undefined;
  if (problem && e.path) {
    return new TscogError("CANNOT_WRITE", `Cannot ${e.syscall ?? "use"} ${e.path}: ${problem}.`, { cause: err, file: e.path });
  }
  return undefined;
}
