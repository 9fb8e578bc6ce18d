import * as assert from "node:assert/strict";
import { join } from "node:path";
import { StandInPowercap } from "../../scripts/stand_in_powercap.ts";
import { cpuDomainEnergy } from "./cpu_energy.ts";
import { openPowercap } from "./open_powercap.ts";

function withTree(test: (root: string) => void): () => void {
  return () => {
    const root = Deno.makeTempDirSync();
    try {
      test(root);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  };
}

Deno.test(
  "openPowercap finds the zones as /sys/class/powercap lays them out, each once, in order",
  withTree((root) => {
    const powercap = StandInPowercap.create(root, [
      { id: "intel-rapl:1", name: "package-1", maxMicrojoules: 262143328850 },
      { id: "intel-rapl:0", name: "package-0", maxMicrojoules: 262143328850 },
      { id: "intel-rapl:0:0", name: "dram", maxMicrojoules: 65712999613, microjoules: 7_500_000 },
    ]);
    const source = openPowercap(powercap.classDir);
    assert.equal(source.unavailableReason, null);
    assert.deepEqual(source.domains.map((d) => [d.id, d.name, d.socket, d.kind]), [
      ["intel-rapl:0", "package-0", 0, "package"],
      ["intel-rapl:0:0", "dram", 0, "dram"],
      ["intel-rapl:1", "package-1", 1, "package"],
    ]);
    assert.equal(source.domains[1]!.wrapJoules, 65712.999613);
    assert.deepEqual(source.read(12).joules, [0, 7.5, 0]);
    // The control type's folder (Zeus's and CodeCarbon's RAPL_DIR) works as a root too.
    assert.deepEqual(openPowercap(join(powercap.classDir, "intel-rapl")).domains.length, 3);
  }),
);

Deno.test(
  "a counter that wraps between reads is counted through the wrap",
  withTree((root) => {
    const powercap = StandInPowercap.oneSocket(root);
    const source = openPowercap(powercap.classDir);
    const dram = source.domains.findIndex((d) => d.kind === "dram");
    const range = 65712999613;
    powercap.setMicrojoules("intel-rapl:0:1", range - 2_000_000);
    const first = source.read(0);
    powercap.setMicrojoules("intel-rapl:0:1", range + 3_000_000); // wraps to 3 J
    const second = source.read(1);
    assert.equal(second.joules[dram], 3);
    const energy = cpuDomainEnergy(source.domains, [first, second]);
    assert.ok(Math.abs(energy[dram]!.energyJoules! - 5) < 1e-6, `${energy[dram]!.energyJoules}`);
  }),
);

Deno.test(
  "no powercap, no zones, or an unreadable counter: no domains, and the reason",
  withTree((root) => {
    assert.match(
      openPowercap(join(root, "missing")).unavailableReason!,
      /no RAPL zones under .*missing/,
    );
    Deno.mkdirSync(join(root, "empty"));
    assert.match(openPowercap(join(root, "empty")).unavailableReason!, /no RAPL zones under/);
    const powercap = StandInPowercap.oneSocket(join(root, "tree"));
    // As root, permissions do not stop a read: a counter that is a folder cannot be read by anyone.
    const counter = join(powercap.zoneDir("intel-rapl:0"), "energy_uj");
    Deno.removeSync(counter);
    Deno.mkdirSync(counter);
    const source = openPowercap(powercap.classDir);
    assert.deepEqual(source.domains, []);
    assert.match(source.unavailableReason!, /cannot read .*intel-rapl:0\/energy_uj \(EISDIR\)/);
  }),
);

Deno.test("a counter readable by root only says so, with the fix (read as an ordinary user)", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const powercap = StandInPowercap.oneSocket(root);
    Deno.chmodSync(root, 0o755);
    Deno.chmodSync(join(powercap.zoneDir("intel-rapl:0"), "energy_uj"), 0o400);
    const reason = await reasonAsOrdinaryUser(powercap.classDir);
    assert.match(reason, /readable by root only .*CVE-2020-8694.*run llem as root/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** openPowercap()'s reason as seen by a user who is not root: this process, or `nobody` when it is root. */
async function reasonAsOrdinaryUser(classDir: string): Promise<string> {
  const module = new URL("./open_powercap.ts", import.meta.url).href;
  const script = `import { openPowercap } from "${module}"; ` +
    `console.log(openPowercap(${JSON.stringify(classDir)}).unavailableReason);`;
  const deno = [Deno.execPath(), "eval", "--no-config", script];
  const argv = Deno.uid() === 0
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...deno]
    : deno;
  const output = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: { HOME: "/tmp" },
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test(
  "openPowercap reads zone ids in hexadecimal past gaps, multi-die package names, and leaves out unreadable parts",
  withTree((root) => {
    const zones = [
      ...Array.from({ length: 11 }, (_, n) => ({
        id: `intel-rapl:${n.toString(16)}`,
        name: n === 3 ? "package-3-die-0" : `package-${n}`,
        maxMicrojoules: 262143328850,
      })).filter((zone) => zone.id !== "intel-rapl:2"),
      { id: "intel-rapl:0:1", name: "dram", maxMicrojoules: 65712999613 },
    ];
    const powercap = StandInPowercap.create(root, zones);
    Deno.removeSync(join(powercap.zoneDir("intel-rapl:0:1"), "energy_uj"));
    Deno.mkdirSync(join(powercap.zoneDir("intel-rapl:0:1"), "energy_uj"));
    const source = openPowercap(powercap.classDir);
    assert.equal(source.unavailableReason, null);
    const ids = source.domains.map((d) => d.id);
    assert.ok(ids.includes("intel-rapl:a"), "the eleventh package is intel-rapl:a");
    assert.ok(!ids.includes("intel-rapl:0:1"), "the unreadable DRAM zone is left out");
    assert.equal(ids.length, 10, "intel-rapl:2 is a gap, the rest are found");
    const die = source.domains.find((d) => d.name === "package-3-die-0")!;
    assert.deepEqual([die.kind, die.socket], ["package", 3]);
  }),
);
