/** True unless the OS says the process does not exist (EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  // kill(0 or negative) would signal a whole process group: never a valid pid here.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
