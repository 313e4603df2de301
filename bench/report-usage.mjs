// Preloaded with `node --import ./bench/report-usage.mjs <script>`: on exit, writes this process's
// resource usage as JSON to the file named by FLUENCE_BENCH_USAGE, so the bench can read peak RSS and CPU
// time of a child without wrapping it in /usr/bin/time (not portable, and not installed everywhere).
import { writeFileSync } from "node:fs";

const target = process.env.FLUENCE_BENCH_USAGE;
if (target) {
  process.on("exit", (code) => {
    const usage = process.resourceUsage();
    const report = {
      exitCode: code,
      maxRSSKB: usage.maxRSS,
      userCPUTimeUs: usage.userCPUTime,
      systemCPUTimeUs: usage.systemCPUTime,
    };
    writeFileSync(target, `${JSON.stringify(report)}\n`);
  });
}
