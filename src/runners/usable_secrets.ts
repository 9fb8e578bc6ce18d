import type { ExperimentConfig } from "../config/experiment_config.ts";

/**
 * The secrets an engine can use, of those llem was given. The only one, HF_TOKEN (or its older name),
 * serves downloads from the Hugging Face Hub: it can be used only when the engine may reach the network
 * (`allow_network: true`; without it a container has no network, and every runner sets HF_HUB_OFFLINE=1)
 * and the model is not a local folder (which is never downloaded). Elsewhere it is not handed over at all,
 * so an engine that cannot use it cannot leak it either.
 */
export function usableSecrets(
  config: Pick<ExperimentConfig, "allow_network">,
  given: { secrets: Readonly<Record<string, string>>; localModel: boolean },
): Record<string, string> {
  return config.allow_network && !given.localModel ? { ...given.secrets } : {};
}
