// What a reader needs to compare figures across machines; the commit is read from .git's files directly
// (no git process) so the bench runs the same in a tarball or a worktree.
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function machineInfo() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    ramGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    loadAverage: os.loadavg(),
  };
}

/** HEAD's commit hash, or undefined when .git is absent or unreadable. A worktree's .git is a file naming
 * its git dir, whose `commondir` holds the branches. */
export function headCommit(root) {
  try {
    let gitDir = path.join(root, ".git");
    if (!statSync(gitDir).isDirectory()) {
      const pointer = readFileSync(gitDir, "utf8").trim();
      if (!pointer.startsWith("gitdir: ")) return undefined;
      gitDir = path.resolve(root, pointer.slice("gitdir: ".length));
    }
    const commonFile = path.join(gitDir, "commondir");
    const commonDir = existsSync(commonFile)
      ? path.resolve(gitDir, readFileSync(commonFile, "utf8").trim())
      : gitDir;
    const head = readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    for (const dir of [gitDir, commonDir]) {
      const loose = path.join(dir, ref);
      if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
    }
    const packed = readFileSync(path.join(commonDir, "packed-refs"), "utf8");
    return packed
      .split("\n")
      .find((line) => line.endsWith(` ${ref}`))
      ?.split(" ")[0];
  } catch {
    return undefined;
  }
}
