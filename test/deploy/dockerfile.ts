/**
 * Just enough of a Dockerfile parser for the deployment checks: instructions per stage, with line continuations and
 * `ARG` defaults resolved in `FROM`. Not a general parser (no heredocs, no escape directive).
 */
export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  image: string;
  name?: string;
  instructions: DockerInstruction[];
}

export function parseDockerfile(text: string): DockerStage[] {
  const logicalLines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const line of logicalLines) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    const keyword = match?.[1]?.toUpperCase();
    const args = match?.[2]?.trim();
    if (keyword === undefined || args === undefined) throw new Error(`Dockerfile line without arguments: ${line}`);
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_whole, variable: string) => globalArgs.get(variable) ?? '');
      stages.push({ image: resolved, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (!current) {
      // Before the first FROM only ARG is allowed; its defaults feed FROM lines.
      const [variable = '', value = ''] = args.split('=');
      if (keyword === 'ARG') globalArgs.set(variable, value);
      continue;
    }
    current.instructions.push({ keyword, args });
  }
  return stages;
}

/** `["node", "dist/client/cli.js"]` → the array; shell form → split on spaces (good enough for these checks). */
export function execForm(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((part): part is string => typeof part === 'string')) throw new Error(`not a JSON string array: ${args}`);
    return parsed;
  }
  return args.split(/\s+/);
}

export function lastInstruction(stage: DockerStage, keyword: string): DockerInstruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}

/** `npm ci`, `npm install`, `npm prune`: the commands that decide which packages a node_modules holds. */
const NPM_DEPENDENCY_COMMAND = /^npm\s+(ci|install|i|add|prune|uninstall|rm)\b/;

function npmDependencyCommands(run: string): string[] {
  return run
    .split(/&&|\|\||;/)
    .map((command) => command.trim().replace(/\s+/g, ' '))
    .filter((command) => NPM_DEPENDENCY_COMMAND.test(command));
}

/**
 * The npm commands that shaped the node_modules a stage ends up with, in order: its own RUN lines, a base stage's
 * history (`FROM <stage>`), and a `COPY --from=<stage> … node_modules …`, which replaces what was there with that
 * stage's node_modules. So `nodeModulesHistory(stages, runtime).at(-1)` is the install the image ships.
 */
export function nodeModulesHistory(stages: DockerStage[], stage: DockerStage, seen: ReadonlySet<DockerStage> = new Set()): string[] {
  if (seen.has(stage)) throw new Error(`Dockerfile stages copy from each other in a cycle (stage ${stage.name ?? stage.image})`);
  const byName = (name: string) => stages.find((candidate) => candidate.name === name);
  const visiting = new Set([...seen, stage]);
  const base = byName(stage.image);
  let history = base ? nodeModulesHistory(stages, base, visiting) : [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'RUN') history = [...history, ...npmDependencyCommands(instruction.args)];
    if (instruction.keyword !== 'COPY') continue;
    const parts = instruction.args.split(/\s+/);
    const from = parts.find((part) => part.startsWith('--from='))?.slice('--from='.length);
    const sources = parts.filter((part) => !part.startsWith('--')).slice(0, -1);
    const source = from ? byName(from) : undefined;
    if (source && sources.some((path) => /(^|\/)node_modules\/?$/.test(path))) history = nodeModulesHistory(stages, source, visiting);
  }
  return history;
}

/** `ENV A=1 B=2` (the key=value form) of a stage, later lines winning. */
export function environment(stage: DockerStage): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((candidate) => candidate.keyword === 'ENV')) {
    for (const match of instruction.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) variables[match[1] ?? ''] = (match[2] ?? '').replace(/^"|"$/g, '');
  }
  return variables;
}
