/**
 * `llem images save` and `load` against the real Docker daemon (and Podman, where it is installed too),
 * with the small test image scripts/ci_docker.sh builds: an engine's image is not available offline. The
 * test image is tagged under a name of the test's own, so that loading it back is seen, and the tag is
 * removed at the end. Without a daemon and the image every test is listed as "SKIPPED (...)".
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/run_cli.ts";
import { checkImageArchive } from "../src/runners/check_image_archive.ts";
import { NotReadyError } from "../src/errors/not_ready_error.ts";
import { runProgram } from "../src/runners/run_program.ts";
import { saveImage } from "../src/runners/save_image.ts";
import { containerTest, testRuntimes } from "./container_test_runtime.ts";

/** These tests use the Docker daemon (and Podman beside it in the last). */
const DOCKER = testRuntimes("docker");

/** Run llem in `cwd` with this process's environment; its exit code and output. */
async function llem(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(args, {
    out: (text) => out += text,
    err: (text) => err += text,
    env: Deno.env.toObject(),
    cwd,
  });
  return { code, out, err };
}

async function ok(argv: string[]): Promise<string> {
  const result = await runProgram(argv, { timeoutMs: 120_000 });
  assert.equal(result.code, 0, `${argv.join(" ")}: ${result.stderr || result.startError}`);
  return result.stdout;
}

/** The names of an archive's top-level entries (docker save writes manifest.json and the layers). */
async function entries(file: string): Promise<string[]> {
  return (await ok(["tar", "-tf", file])).split("\n").filter(Boolean);
}

/** Tag the test image as `llem-test-archive:<random>` in Docker, run `body`, remove the tag. */
async function withOwnTag(image: string, body: (tag: string, dir: string) => Promise<void>): Promise<void> {
  const tag = `llem-test-archive:${crypto.randomUUID().slice(0, 8)}`;
  const dir = Deno.makeTempDirSync({ prefix: "llem-images-test-" });
  await ok(["docker", "tag", image, tag]);
  try {
    await body(tag, dir);
  } finally {
    await runProgram(["docker", "rmi", tag], { timeoutMs: 60_000 });
    Deno.removeSync(dir, { recursive: true });
  }
}

containerTest(
  "llem images save writes a Docker archive of the image, and llem images load brings it back",
  async ({ image }) => {
    await withOwnTag(image, async (tag, dir) => {
      const saved = await llem(["images", "save", "transformers", "--image", tag, "-o", "engine.tar"], dir);
      assert.equal(saved.code, 0, saved.err);
      assert.match(
        saved.out,
        new RegExp(`^saved ${tag} from docker to engine\\.tar \\(\\d+\\.\\d MiB\\)$`, "m"),
      );
      assert.match(saved.out, /^ {2}llem images load engine\.tar {4}# into Docker or Podman$/m);
      assert.match(
        saved.out,
        /^ {2}apptainer build engine\.sif docker-archive:engine\.tar {4}# for Apptainer/m,
      );
      checkImageArchive(`${dir}/engine.tar`);
      // Docker's archive format, which apptainer build docker-archive: reads.
      assert.ok((await entries(`${dir}/engine.tar`)).includes("manifest.json"));
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["engine.tar"], "no partial file left");

      await ok(["docker", "rmi", tag]);
      const gone = await runProgram(["docker", "image", "inspect", tag]);
      assert.notEqual(gone.code, 0, "the tag is gone before the load");
      const loaded = await llem(["images", "load", "engine.tar", "--runtime", "docker"], dir);
      assert.equal(loaded.code, 0, loaded.err);
      assert.equal(loaded.out, `loaded ${tag} into docker\n`);
      await ok(["docker", "image", "inspect", tag]);
    });
  },
  { runtimes: DOCKER },
);

containerTest(
  "llem images save refuses to overwrite without --force, and replaces with it",
  async ({ image }) => {
    await withOwnTag(image, async (tag, dir) => {
      Deno.writeTextFileSync(`${dir}/engine.tar`, "an older file");
      const refused = await llem(["images", "save", "vllm", "--image", tag, "-o", "engine.tar"], dir);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.err,
        'error: "engine.tar" already exists\nhint: choose another name, or add --force to replace it\n',
      );
      assert.equal(Deno.readTextFileSync(`${dir}/engine.tar`), "an older file");
      const replaced = await llem(
        ["images", "save", "vllm", "--image", tag, "-o", "engine.tar", "--force"],
        dir,
      );
      assert.equal(replaced.code, 0, replaced.err);
      checkImageArchive(`${dir}/engine.tar`);
    });
  },
  { runtimes: DOCKER },
);

containerTest(
  "llem images save of an image the daemon does not have exits 3 and writes nothing",
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "llem-images-test-" });
    try {
      const absent = `llem-test-absent:${crypto.randomUUID().slice(0, 8)}`;
      const result = await llem([
        "images",
        "save",
        "vllm",
        "--image",
        absent,
        "-o",
        "x.tar",
        "--runtime",
        "docker",
      ], dir);
      assert.equal(result.code, 3);
      assert.match(
        result.err,
        new RegExp(`^error: image ${absent} is not in docker's store\nhint: pull it where`),
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
  { runtimes: DOCKER },
);

containerTest(
  "saveImage() whose runtime fails leaves nothing under the name asked for, nor a partial file",
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "llem-images-test-" });
    try {
      const absent = `llem-test-absent:${crypto.randomUUID().slice(0, 8)}`;
      await assert.rejects(
        () => saveImage("docker", { image: absent, file: `${dir}/x.tar`, replace: false }),
        (error: Error) =>
          error instanceof NotReadyError && error.message.startsWith(`docker save ${absent} failed: `),
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
  { runtimes: DOCKER },
);

/** Podman, where it is installed and answers: a Docker archive loaded into it, and saved from it again. */
const podman = await runProgram(["podman", "info", "--format", "{{.Host.Arch}}"], { timeoutMs: 30_000 });
const podmanSkip = podman.startError ? "no podman" : podman.code !== 0 ? "podman does not answer" : null;

containerTest(
  "an archive llem saved from Docker loads into Podman, and Podman saves it again",
  async ({ image }) => {
    await withOwnTag(image, async (tag, dir) => {
      assert.equal(
        (await llem(["images", "save", "vllm", "--image", tag, "-o", "from-docker.tar"], dir)).code,
        0,
      );
      const loaded = await llem(["images", "load", "from-docker.tar", "--runtime", "podman"], dir);
      try {
        assert.equal(loaded.code, 0, loaded.err);
        // Podman names an image from Docker Hub's default registry in full.
        assert.match(
          loaded.out,
          new RegExp(`^loaded (docker\\.io/library/|localhost/)?${tag} into podman\n$`),
        );
        const again = await llem(
          ["images", "save", "vllm", "--image", tag, "-o", "from-podman.tar", "--runtime", "podman"],
          dir,
        );
        assert.equal(again.code, 0, again.err);
        assert.ok(
          (await entries(`${dir}/from-podman.tar`)).includes("manifest.json"),
          "Docker's archive format",
        );
      } finally {
        await runProgram(["podman", "rmi", tag], { timeoutMs: 60_000 });
      }
    });
  },
  // Without Podman, the test is ignored with the reason (it used to pass with an empty body).
  { runtimes: podmanSkip ? [{ label: "docker", skip: podmanSkip }] : DOCKER },
);
