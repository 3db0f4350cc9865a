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
