import { isMap, isPair, isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import { ConfigError, type ConfigProblem } from "./config_error.ts";
import { didYouMean } from "./did_you_mean.ts";
import { DEFAULT_ENGINE, ENGINE_IDS, type EngineId, isEngineId } from "../engines/engine_id.ts";
import { type ExecutionConfig, executionSchema } from "./execution_config.ts";
import { experimentSchema } from "./experiment_config.ts";
import { type Contribution, locateInPoint } from "./locate_in_point.ts";
import { deepMerge } from "./deep_merge.ts";
import { flattenData } from "./flatten_data.ts";
import { isPlainObject, type PlainObject } from "./plain_object.ts";
import { withPath } from "./set_path.ts";
import { expandRange, isRangeShorthand } from "./expand_range.ts";
import {
  defOf,
  expectsList,
  isOpenRecord,
  objectKeys,
  schemaAtPath,
  unwrapSchema,
} from "./schema_at_path.ts";
import {
  type FileContents,
  parseSourceFile,
  positionOf,
  type ReadFile,
  type SourceFile,
} from "./source_file.ts";
import { STUDY_KEYS } from "./study_config.ts";
import { unflattenKeys } from "./unflatten_keys.ts";
import { describeValue, quoteKey, zodProblems } from "./zod_problems.ts";

/** Most grid points a study may declare; beyond this llem refuses rather than running out of memory. */
export const MAX_DECLARED_POINTS = 100_000;

/** One grid point or explicit experiment as declared, before validation. */
export interface DeclaredPoint {
  /** 0-based position in declaration order. */
  index: number;
  /** The unvalidated config. */
  raw: PlainObject;
  /** Where each part of `raw` came from, for locating problems. */
  contributions: Contribution[];
  /** Values this point set through the sweep or an `experiments:` entry, by dotted key. */
  swept: Record<string, unknown>;
  /** How the point was declared. */
  origin: "single" | "sweep" | "experiments";
}

/** A study file read, checked for structure and expanded into declared points. */
export interface StudyExpansion {
  /** The study file. */
  file: string;
  /** Study name: `name:` or the file's stem. */
  name: string;
  /** Execution settings, defaults applied. */
  execution: ExecutionConfig;
  /** Every declared point, in declaration order. */
  points: DeclaredPoint[];
  /** Number of sweep axes and groups, for summaries. */
  sweep: { axes: number; groups: number };
  /** Problems that did not stop expansion (unknown keys, bad execution values); reported with the rest. */
  problems: ConfigProblem[];
}

interface Assignment {
  path: string[];
  value: unknown;
  node: Node | undefined;
}

interface Alternative {
  assignments: Assignment[];
  /** Set when this alternative only applies to one engine's points. */
  scope?: EngineId;
}

interface Dimension {
  key: string;
  /** The sweep key's node, for locating problems. */
  keyNode?: Node;
  kind: "axis" | "group";
  scope?: EngineId;
  alternatives: Alternative[];
}

const EXPERIMENT_KEYS = Object.keys(experimentSchema.shape);

/** Read a study (or single experiment) file, its `base:` chain, and expand its sweep into declared points. */
export function expandStudy(path: string, readFile: ReadFile): StudyExpansion {
  // Problems are collected, not thrown, so that one run reports them all; only a broken base chain or
  // an oversized sweep stops expansion early. A bad sweep key drops its dimension and expansion goes on.
  const problems: ConfigProblem[] = [];
  const root = parseSourceFile(path, readFile(path));
  const rootData = root.data as PlainObject;
  const rootMap = root.doc.contents as YAMLMap;
  const foreign = notAConfig(root, { map: rootMap, role: "study" });
  if (foreign) throw new ConfigError([foreign]);
  const unknownKeys = checkTopLevelKeys(root, rootMap, "study", problems);

  const beforeBase = problems.length;
  const chain = loadBaseChain(root, readFile, problems);
  if (problems.length > beforeBase) throw new ConfigError(problems);
  let fixed: PlainObject = {};
  const fixedContributions: Contribution[] = [];
  for (const source of [...chain, root]) {
    const data = { ...(source.data as PlainObject) };
    for (const key of [...STUDY_KEYS, ...unknownKeys]) delete data[key];
    fixed = deepMerge(fixed, unflattenKeys(data, experimentSchema));
    fixedContributions.push({ prefix: [], source, node: source.doc.contents });
  }
  const rootContribution: Contribution[] = [{ prefix: [], source: root, node: rootMap }];

  const executionResult = executionSchema.safeParse(rootData.execution ?? {}, { reportInput: true });
  if (!executionResult.success) {
    const found = zodProblems(executionResult.error.issues, {
      schema: executionSchema,
      contributions: rootContribution,
      pathPrefix: ["execution"],
    });
    for (const problem of found) problems.push(problem); // a spread of many overflows the stack
  }
  const name = studyName(root, rootData, problems);

  // Engines: a fixed list or an `engine` axis, else whatever engine-scoped keys name, else the default.
  const dimensions = parseSweep(root, rootMap, problems);
  let engineAxis = dimensions.find((d) => d.key === "engine");
  if (Array.isArray(fixed.engine)) {
    const located = locateInPoint(fixedContributions, ["engine"]);
    if (engineAxis) {
      problems.push({
        ...located,
        path: "engine",
        message: "engine is given both as a list and as a sweep axis",
        hint: "keep one of them",
      });
    } else {
      const node = findNode(fixedContributions, ["engine"]);
      engineAxis = {
        key: "engine",
        kind: "axis",
        alternatives: (fixed.engine as unknown[]).map((value, i) => ({
          assignments: [{ path: ["engine"], value, node: isSeq(node) ? node.items[i] as Node : node }],
        })),
      };
    }
    delete fixed.engine;
  }
  const otherDimensions = dimensions.filter((d) => d.key !== "engine");
  const engines = resolveEngines(root, engineAxis, fixed, otherDimensions, problems);
  checkEngineScopes(root, fixedContributions, fixed, engines, otherDimensions, problems);

  const experimentsEntries = parseExperiments(root, rootData, rootMap, problems);
  const hasSweep = rootData.sweep !== undefined || engineAxis !== undefined;
  const runProduct = hasSweep || experimentsEntries === undefined;

  let declared = experimentsEntries?.length ?? 0;
  if (runProduct) {
    for (const engine of engines) {
      declared += countPoints(dimensionsFor(engine, otherDimensions));
      if (declared > MAX_DECLARED_POINTS) break;
    }
  }
  if (declared > MAX_DECLARED_POINTS) {
    const sweepNode = findNode(rootContribution, ["sweep"]) ?? rootMap;
    problems.push({
      file: root.path,
      ...positionOf(root, sweepNode),
      path: "sweep",
      message: `the study declares more than ${MAX_DECLARED_POINTS.toLocaleString("en-US")} grid points`,
      hint: "sweep fewer values, or split the study into several files",
    });
  }
  if (declared > MAX_DECLARED_POINTS) throw new ConfigError(problems);

  const points: DeclaredPoint[] = [];
  if (runProduct) {
    for (const engine of engines) {
      const engineAlternative = engineAxis?.alternatives.find((a) => a.assignments[0]!.value === engine);
      const base = { ...fixedFor(engine, fixed), engine };
      const baseContributions = [...fixedContributions];
      if (engineAlternative) {
        baseContributions.push({
          prefix: ["engine"],
          source: root,
          node: engineAlternative.assignments[0]!.node,
        });
      }
      const applicable = dimensionsFor(engine, otherDimensions);
      forEachCombination(applicable.map((d) => d.alternatives), (chosen) => {
        // Points share the unchanged parts of `base`; nothing downstream mutates a raw config.
        let raw: PlainObject = base;
        const contributions = [...baseContributions];
        const swept: Record<string, unknown> = engineAxis ? { engine } : {};
        for (const alternative of chosen) {
          for (const assignment of alternative.assignments) {
            raw = withPath(raw, assignment.path, assignment.value);
            contributions.push({ prefix: assignment.path, source: root, node: assignment.node });
            swept[assignment.path.join(".")] = assignment.value;
          }
        }
        points.push({
          index: points.length,
          raw,
          contributions,
          swept,
          origin: hasSweep ? "sweep" : "single",
        });
      });
    }
  }
  for (const entry of experimentsEntries ?? []) {
    const entryEngines = typeof entry.data.engine === "string"
      ? [entry.data.engine]
      : typeof fixed.engine === "string"
      ? [fixed.engine]
      : engineAxis
      ? engines
      : [DEFAULT_ENGINE];
    for (const engine of entryEngines) {
      const raw = deepMerge(fixedFor(engine, fixed), { ...entry.data, engine });
      const swept = Object.fromEntries(flattenData(entry.data));
      points.push({
        index: points.length,
        raw,
        contributions: [...fixedContributions, { prefix: [], source: root, node: entry.node }],
        swept,
        origin: "experiments",
      });
    }
  }

  return {
    file: root.path,
    name,
    execution: executionResult.data ?? executionSchema.parse({}),
    points,
    sweep: {
      axes: dimensions.filter((d) => d.kind === "axis").length,
      groups: dimensions.filter((d) => d.kind === "group").length,
    },
    problems,
  };
}

function studyName(root: SourceFile, data: PlainObject, problems: ConfigProblem[]): string {
  if (data.name === undefined) {
    const stem = root.path.split("/").pop()!.replace(/\.(ya?ml|json)$/i, "");
    return stem || "study";
  }
  if (typeof data.name !== "string" || data.name.trim() === "") {
    problems.push({
      file: root.path,
      ...positionOf(root, findNode([{ prefix: [], source: root, node: root.doc.contents }], ["name"])),
      path: "name",
      message: `expected a non-empty string, found ${describeValue(data.name)}`,
    });
    return "study";
  }
  return data.name;
}

function checkTopLevelKeys(
  source: SourceFile,
  map: YAMLMap,
  role: "study" | "base",
  problems: ConfigProblem[],
): string[] {
  const unknown: string[] = [];
  const allowed = role === "study" ? [...EXPERIMENT_KEYS, ...STUDY_KEYS] : [...EXPERIMENT_KEYS, "base"];
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const head = key.split(".")[0]!;
    if (allowed.includes(head)) continue;
    const position = positionOf(source, pair.key as Node);
    if (role === "base" && (STUDY_KEYS as readonly string[]).includes(head)) {
      problems.push({
        file: source.path,
        ...position,
        path: key,
        message: `"${head}" belongs in the study file, not in a base file`,
        hint: "a base file holds experiment fields only; move this key to the file that names the base",
      });
      continue;
    }
    const suggestion = didYouMean(head, allowed);
    unknown.push(key);
    problems.push({
      file: source.path,
      ...position,
      path: key,
      message: `unknown key ${quoteKey(head)}`,
      hint: suggestion ? `did you mean "${suggestion}"?` : `top-level keys: ${allowed.join(", ")}`,
    });
  }
  return unknown;
}

function loadBaseChain(root: SourceFile, readFile: ReadFile, problems: ConfigProblem[]): SourceFile[] {
  const chain: SourceFile[] = [];
  const visited = [root.path];
  let current = root;
  while (isPlainObject(current.data) && current.data.base !== undefined) {
    const node = findNode([{ prefix: [], source: current, node: current.doc.contents }], ["base"]);
    const at = { file: current.path, ...positionOf(current, node), path: "base" };
    const base = current.data.base;
    if (typeof base !== "string" || base === "") {
      problems.push({ ...at, message: `expected a file path, found ${describeValue(base)}` });
      break;
    }
    const resolved = resolvePath(current.path, base);
    if (visited.includes(resolved)) {
      problems.push({
        ...at,
        message: `base files form a loop: ${[...visited, resolved].join(" -> ")}`,
        hint: "remove one of the base: keys",
      });
      break;
    }
    const contents = readFile(resolved);
    if (contents.kind !== "file") {
      problems.push({ ...at, ...unreadableBase(contents, { base, resolved }) });
      break;
    }
    const source = parseBase(resolved, { contents, namedAt: `${at.file}:${at.line}` });
    if (Array.isArray(source)) {
      for (const problem of source) problems.push(problem); // a spread of many overflows the stack
      break;
    }
    const unknownInBase = checkTopLevelKeys(source, source.doc.contents as YAMLMap, "base", problems);
    for (const key of unknownInBase) delete (source.data as PlainObject)[key];
    chain.unshift(source);
    visited.push(resolved);
    current = source;
  }
  return chain;
}

/** A base file parsed and found to be a config; else its problems, each hint naming the base: key. */
function parseBase(
  resolved: string,
  options: { contents: FileContents & { kind: "file" }; namedAt: string },
): SourceFile | ConfigProblem[] {
  const named = `it is the base: named at ${options.namedAt}`;
  const withNamer = (problem: ConfigProblem) => ({
    ...problem,
    hint: problem.hint ? `${problem.hint}; ${named}` : named,
  });
  let source: SourceFile;
  try {
    source = parseSourceFile(resolved, options.contents);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map(withNamer);
  }
  const foreign = notAConfig(source, { map: source.doc.contents as YAMLMap, role: "base" });
  return foreign ? [withNamer(foreign)] : source;
}

/** Why a base file could not be read, as a message and its fix. */
function unreadableBase(
  contents: Exclude<FileContents, { kind: "file" }>,
  names: { base: string; resolved: string },
): { message: string; hint: string } {
  const { base, resolved } = names;
  const hint = "base: paths are relative to the file that names them";
  if (contents.kind === "missing") {
    return { message: `base file "${base}" not found (looked for ${resolved})`, hint };
  }
  if (contents.kind === "directory") {
    return { message: `base file "${base}" is a directory (${resolved})`, hint };
  }
  return {
    message: `base file "${base}" cannot be read: ${contents.reason}`,
    hint: contents.hint ?? "name a YAML or JSON experiment config",
  };
}

/**
 * The problem of a mapping none of whose top-level keys is a config key or close to one: a file that is
 * not a config at all (a token, a password file, some other program's settings). Nothing of it is quoted,
 * not even its keys: they may be secrets (an /etc/shadow line parses as a key).
 */
function notAConfig(
  source: SourceFile,
  options: { map: YAMLMap; role: "study" | "base" },
): ConfigProblem | null {
  const known = [...EXPERIMENT_KEYS, ...STUDY_KEYS];
  const keys = options.map.items.map((pair) =>
    isScalar(pair.key) ? String(pair.key.value).split(".")[0]! : ""
  );
  if (keys.length === 0 || keys.some((key) => known.includes(key) || didYouMean(key, known))) return null;
  return {
    file: source.path,
    line: 0,
    column: 0,
    path: "",
    message: `is not a config: none of its ${
      keys.length.toLocaleString("en-US")
    } top-level keys is a config key`,
    hint: options.role === "base"
      ? "base: names an experiment config (YAML or JSON) to extend"
      : 'a config has keys such as model, engine and generation; run "llem init" for a starter config',
  };
}

/** `target` relative to the folder holding `from`, normalised (pure string work, POSIX paths). */
function resolvePath(from: string, target: string): string {
  const joined = target.startsWith("/")
    ? target
    : `${from.split("/").slice(0, -1).join("/") || "."}/${target}`;
  const out: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "." || (part === "" && out.length > 0)) continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") {
      if (out[out.length - 1] !== "") out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join("/") || ".";
}

function findNode(contributions: Contribution[], path: string[]): Node | undefined {
  for (let i = contributions.length - 1; i >= 0; i--) {
    let current: unknown = contributions[i]!.node;
    for (const segment of path) {
      if (!isMap(current)) {
        current = undefined;
        break;
      }
      current = current.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === segment)?.value;
    }
    if (current !== undefined) return current as Node;
  }
  return undefined;
}

function parseSweep(root: SourceFile, rootMap: YAMLMap, problems: ConfigProblem[]): Dimension[] {
  const sweepNode = findNode([{ prefix: [], source: root, node: rootMap }], ["sweep"]);
  if (sweepNode === undefined) return [];
  if (!isMap(sweepNode)) {
    if (isScalar(sweepNode) && sweepNode.value === null) return [];
    problems.push({
      file: root.path,
      ...positionOf(root, sweepNode),
      path: "sweep",
      message: "expected a mapping of sweep keys to lists of values",
      hint: "for example: sweep: { generation.batch_size: [1, 8, 32] }",
    });
    return [];
  }
  const dimensions: Dimension[] = [];
  for (const pair of sweepNode.items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const keyNode = pair.key as Node;
    const valueNode = pair.value as Node | null;
    const value = valueNode ? valueNode.toJSON() : null;
    const at = { file: root.path, ...positionOf(root, valueNode ?? keyNode), path: `sweep.${key}` };
    if (isPlainObject(value)) {
      if (!isRangeShorthand(value)) {
        problems.push({
          ...at,
          message: "expected a list of values, a list of mappings or a range, found a mapping",
          hint:
            `set nested fields with dotted keys, e.g. "${key}.${Object.keys(value)[0] ?? "field"}: [...]"; ` +
            "ranges are {min, max, num}, {log: {min, max, num}} or {pow2: {min, max}}",
        });
        continue;
      }
      const field = schemaAtPath(experimentSchema, key.split("."));
      const integers = field !== undefined && defOf(unwrapSchema(field)).format === "safeint";
      const expanded = expandRange(value, { integers });
      if (typeof expanded === "string") {
        problems.push({ ...at, message: expanded });
        continue;
      }
      const dimension = axisDimension(
        root,
        key,
        keyNode,
        expanded.map((v) => ({ value: v, node: valueNode })),
        problems,
      );
      if (dimension) dimensions.push(dimension);
      continue;
    }
    const items = Array.isArray(value) ? value : [value];
    const itemNodes: (Node | null)[] = isSeq(valueNode) ? valueNode.items as Node[] : [valueNode];
    if (items.length === 0) {
      problems.push({ ...at, message: "empty list: a sweep key needs at least one value" });
      continue;
    }
    const mappings = items.filter(isPlainObject).length;
    if (mappings > 0 && mappings < items.length) {
      problems.push({
        ...at,
        message: "mixed list: found both plain values and mappings",
        hint:
          "a list of values is an axis; a list of mappings is a group of alternatives; use one or the other",
      });
      continue;
    }
    if (mappings > 0) {
      const dimension = groupDimension(root, key, keyNode, items as PlainObject[], itemNodes, problems);
      if (dimension) dimensions.push(dimension);
    } else {
      const dimension = axisDimension(
        root,
        key,
        keyNode,
        items.map((v, i) => ({ value: v, node: itemNodes[i] ?? valueNode ?? undefined })),
        problems,
      );
      if (dimension) dimensions.push(dimension);
    }
  }
  return dimensions;
}

function axisDimension(
  root: SourceFile,
  key: string,
  keyNode: Node,
  values: { value: unknown; node: Node | null | undefined }[],
  problems: ConfigProblem[],
): Dimension | undefined {
  const path = key.split(".");
  if (!checkKeyPath(root, keyNode, path, `sweep.${key}`, problems)) return undefined;
  const field = schemaAtPath(experimentSchema, path)!;
  if (expectsList(field) && values.some((v) => !Array.isArray(v.value))) {
    problems.push({
      file: root.path,
      ...positionOf(root, keyNode),
      path: `sweep.${key}`,
      message: `"${key}" takes a list, so each value of its axis must itself be a list`,
      hint: `for example: ${key}: [[0], [0, 1]]`,
    });
    return undefined;
  }
  return {
    key,
    keyNode,
    kind: "axis",
    ...scopeOf(path),
    alternatives: values.map(({ value, node }) => ({
      assignments: [{ path, value, node: node ?? undefined }],
    })),
  };
}

function groupDimension(
  root: SourceFile,
  key: string,
  keyNode: Node,
  entries: PlainObject[],
  entryNodes: (Node | null)[],
  problems: ConfigProblem[],
): Dimension | undefined {
  // A group named after a config section (`vllm`, `generation.decoding`) takes keys relative to it.
  const namePath = key.split(".");
  const named = schemaAtPath(experimentSchema, namePath);
  const prefix = named && objectKeys(named) ? namePath : [];
  if (named && !objectKeys(named) && !isOpenRecord(named)) {
    problems.push({
      file: root.path,
      ...positionOf(root, keyNode),
      path: `sweep.${key}`,
      message: `"${key}" takes a single value, but it is given a list of mappings`,
      hint: "a list of mappings is a group of alternatives: give it a group name that is not a config key",
    });
    return undefined;
  }
  const groupScope = scopeOf(namePath).scope;
  const alternatives: Alternative[] = [];
  let ok = true;
  entries.forEach((entry, i) => {
    const entryNode = entryNodes[i];
    const pairs = isMap(entryNode) ? entryNode.items : [];
    const dims: Alternative[][] = [];
    const scopes = new Set<EngineId>();
    for (const pair of pairs) {
      if (!isScalar(pair.key)) continue;
      const entryKey = String(pair.key.value);
      const path = [...prefix, ...entryKey.split(".")];
      if (!checkKeyPath(root, pair.key as Node, path, `sweep.${key}[${i}].${entryKey}`, problems)) {
        ok = false;
        continue;
      }
      const scope = scopeOf(path).scope;
      if (scope) scopes.add(scope);
      const value = entry[entryKey];
      const field = schemaAtPath(experimentSchema, path)!;
      const valueNode = pair.value as Node | null;
      if (Array.isArray(value) && !expectsList(field)) {
        // A list inside an entry is a small grid of its own.
        const nodes = isSeq(valueNode) ? valueNode.items as Node[] : [];
        dims.push(value.map((v, j) => ({ assignments: [{ path, value: v, node: nodes[j] }] })));
      } else {
        dims.push([{ assignments: [{ path, value, node: valueNode ?? undefined }] }]);
      }
    }
    if (scopes.size > 1) {
      problems.push({
        file: root.path,
        ...positionOf(root, entryNode),
        path: `sweep.${key}[${i}]`,
        message: `this alternative sets options of several engines (${[...scopes].join(", ")})`,
        hint: "an experiment runs one engine; split the alternative",
      });
      ok = false;
      return;
    }
    const entryScope = [...scopes][0];
    forEachCombination(dims, (chosen) => {
      alternatives.push({
        assignments: chosen.flatMap((c) => c.assignments),
        ...(entryScope ? { scope: entryScope } : {}),
      });
    });
  });
  return ok
    ? { key, keyNode, kind: "group", ...(groupScope ? { scope: groupScope } : {}), alternatives }
    : undefined;
}

function scopeOf(path: readonly string[]): { scope?: EngineId } {
  return isEngineId(path[0]) ? { scope: path[0] } : {};
}

/** Check that a key path names a config field; record a problem with a did-you-mean when it does not. */
function checkKeyPath(
  root: SourceFile,
  keyNode: Node,
  path: string[],
  shownPath: string,
  problems: ConfigProblem[],
): boolean {
  for (let depth = 1; depth <= path.length; depth++) {
    const parent = schemaAtPath(experimentSchema, path.slice(0, depth - 1))!;
    if (isOpenRecord(parent)) return true;
    if (schemaAtPath(experimentSchema, path.slice(0, depth))) continue;
    const known = objectKeys(parent) ?? [];
    const suggestion = didYouMean(path[depth - 1]!, known);
    problems.push({
      file: root.path,
      ...positionOf(root, keyNode),
      path: shownPath,
      message: known.length
        ? `unknown key ${quoteKey(path.slice(0, depth).join("."))}`
        : `"${path.slice(0, depth - 1).join(".")}" has no fields below it`,
      hint: suggestion
        ? `did you mean "${[...path.slice(0, depth - 1), suggestion].join(".")}"?`
        : known.length
        ? `keys under "${path.slice(0, depth - 1).join(".") || "the top level"}": ${known.join(", ")}`
        : undefined,
    });
    return false;
  }
  return true;
}

function resolveEngines(
  root: SourceFile,
  engineAxis: Dimension | undefined,
  fixed: PlainObject,
  dimensions: Dimension[],
  problems: ConfigProblem[],
): string[] {
  if (engineAxis) {
    const engines: string[] = [];
    for (const alternative of engineAxis.alternatives) {
      const { value, node } = alternative.assignments[0]!;
      if (isEngineId(value)) {
        if (!engines.includes(value)) engines.push(value);
        continue;
      }
      const suggestion = typeof value === "string" ? didYouMean(value, ENGINE_IDS) : undefined;
      problems.push({
        file: root.path,
        ...positionOf(root, node),
        path: "engine",
        message: `unknown engine ${describeValue(value)}`,
        hint: suggestion ? `did you mean "${suggestion}"?` : `engines: ${ENGINE_IDS.join(", ")}`,
      });
    }
    return engines;
  }
  if (typeof fixed.engine === "string") return [fixed.engine];
  const scoped = new Set<string>();
  for (const dimension of dimensions) {
    if (dimension.scope) scoped.add(dimension.scope);
    for (const alternative of dimension.alternatives) if (alternative.scope) scoped.add(alternative.scope);
  }
  for (const engine of ENGINE_IDS) if (isPlainObject(fixed[engine])) scoped.add(engine);
  return scoped.size > 0 ? ENGINE_IDS.filter((e) => scoped.has(e)) : [DEFAULT_ENGINE];
}

function checkEngineScopes(
  root: SourceFile,
  fixedContributions: Contribution[],
  fixed: PlainObject,
  engines: string[],
  dimensions: Dimension[],
  problems: ConfigProblem[],
): void {
  for (const engine of ENGINE_IDS) {
    if (engines.includes(engine)) continue;
    if (fixed[engine] !== undefined) {
      problems.push({
        ...locateInPoint(fixedContributions, [engine], { key: true }),
        path: engine,
        message: `options for engine "${engine}" are given, but no experiment uses that engine`,
        hint: `set engine: ${engine}, or remove the ${engine} section`,
      });
    }
    for (const dimension of dimensions) {
      if (dimension.scope !== engine) continue;
      problems.push({
        file: root.path,
        ...positionOf(root, dimension.keyNode),
        path: `sweep.${dimension.key}`,
        message: `"${dimension.key}" applies to engine "${engine}", but no experiment uses that engine`,
        hint: `add ${engine} to engine, or remove this sweep key`,
      });
    }
  }
}

function dimensionsFor(engine: string, dimensions: Dimension[]): Dimension[] {
  const applicable: Dimension[] = [];
  for (const dimension of dimensions) {
    if (dimension.scope && dimension.scope !== engine) continue;
    const alternatives = dimension.alternatives.filter((a) => !a.scope || a.scope === engine);
    if (alternatives.length > 0) applicable.push({ ...dimension, alternatives });
  }
  return applicable;
}

function countPoints(dimensions: Dimension[]): number {
  return dimensions.reduce((product, d) => product * d.alternatives.length, 1);
}

/** The shared fields as seen by one engine's points: other engines' sections dropped. */
function fixedFor(engine: string, fixed: PlainObject): PlainObject {
  const copy = { ...fixed };
  for (const other of ENGINE_IDS) if (other !== engine) delete copy[other];
  return copy;
}

/** Call `visit` with every combination of one item per list, the first list varying slowest. */
function forEachCombination<T>(lists: T[][], visit: (chosen: T[]) => void): void {
  if (lists.some((list) => list.length === 0)) return;
  const indices = lists.map(() => 0);
  while (true) {
    visit(lists.map((list, i) => list[indices[i]!]!));
    let position = lists.length - 1;
    while (position >= 0) {
      indices[position]! += 1;
      if (indices[position]! < lists[position]!.length) break;
      indices[position] = 0;
      position -= 1;
    }
    if (position < 0) return;
  }
}

interface ExperimentEntry {
  data: PlainObject;
  node: Node | undefined;
}

function parseExperiments(
  root: SourceFile,
  rootData: PlainObject,
  rootMap: YAMLMap,
  problems: ConfigProblem[],
): ExperimentEntry[] | undefined {
  if (rootData.experiments === undefined || rootData.experiments === null) return undefined;
  const node = findNode([{ prefix: [], source: root, node: rootMap }], ["experiments"]);
  if (!Array.isArray(rootData.experiments) || !isSeq(node)) {
    problems.push({
      file: root.path,
      ...positionOf(root, node),
      path: "experiments",
      message: "expected a list of experiment mappings",
    });
    return undefined;
  }
  const entries: ExperimentEntry[] = [];
  rootData.experiments.forEach((entry: unknown, i: number) => {
    const entryNode = node.items[i] as Node | undefined;
    if (!isPlainObject(entry) || !isMap(entryNode)) {
      problems.push({
        file: root.path,
        ...positionOf(root, entryNode),
        path: `experiments[${i}]`,
        message: `expected a mapping of experiment fields, found ${describeValue(entry)}`,
      });
      return;
    }
    // An entry with these problems yields no point, so that zod does not report them a second time.
    const before = problems.length;
    for (const pair of entryNode.items) {
      if (!isScalar(pair.key)) continue;
      const head = String(pair.key.value).split(".")[0]!;
      if (EXPERIMENT_KEYS.includes(head)) continue;
      const suggestion = didYouMean(head, EXPERIMENT_KEYS);
      problems.push({
        file: root.path,
        ...positionOf(root, pair.key as Node),
        path: `experiments[${i}].${head}`,
        message: `unknown key ${quoteKey(head)}`,
        hint: suggestion ? `did you mean "${suggestion}"?` : `experiment keys: ${EXPERIMENT_KEYS.join(", ")}`,
      });
    }
    const engine = entry.engine;
    if (engine !== undefined && !isEngineId(engine)) {
      const suggestion = typeof engine === "string" ? didYouMean(engine, ENGINE_IDS) : undefined;
      problems.push({
        ...locateInPoint([{ prefix: [], source: root, node: entryNode }], ["engine"]),
        path: `experiments[${i}].engine`,
        message: `unknown engine ${describeValue(engine)}`,
        hint: suggestion ? `did you mean "${suggestion}"?` : `engines: ${ENGINE_IDS.join(", ")}`,
      });
    }
    if (problems.length === before) {
      entries.push({ data: unflattenKeys(entry, experimentSchema), node: entryNode });
    }
  });
  return entries;
}
