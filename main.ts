import { denoIo } from "./src/cli/cli_io.ts";
import { runCli } from "./src/cli/run_cli.ts";

Deno.exit(await runCli(Deno.args, denoIo()));
