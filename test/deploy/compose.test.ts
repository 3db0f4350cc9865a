import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { buildCli } from '../../client/cli';
import { ENCRYPTION_ENVIRONMENT_VARIABLES } from '../../codec/keys';
import { STORAGE_ENVIRONMENT_VARIABLES } from '../../storage/from-env';
import { loadConfigFile } from '../../config/load';
import { CONNECTOR_METRICS } from '../../metrics/definitions';
import { WORKER_ENVIRONMENT_VARIABLES, WorkerEnvironmentSchema } from '../../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { execForm, lastInstruction, parseDockerfile } from './dockerfile';

/**
 * No Docker engine runs where the tests run, so the deployment files are checked statically against the code: a
 * renamed subcommand, a new environment variable or a typo in a service name fails here instead of at `compose up`.
 */
const ROOT = path.resolve(__dirname, '../..');
const fromRoot = (...parts: string[]) => path.join(ROOT, ...parts);

const DependsOnSchema = z.union([
  z.array(z.string()),
  z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })),
]);
const ServiceSchema = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string(), target: z.string().optional() })]).optional(),
  profiles: z.array(z.string()).optional(),
  depends_on: DependsOnSchema.optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  env_file: z.array(z.union([z.string(), z.object({ path: z.string(), required: z.boolean().optional() })])).optional(),
  ports: z.array(z.string()).optional(),
  expose: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  restart: z.string().optional(),
});
const ComposeSchema = z.object({
  services: z.record(z.string(), ServiceSchema),
  volumes: z.record(z.string(), z.null()).optional(),
});
type Service = z.infer<typeof ServiceSchema>;

const compose = ComposeSchema.parse(YAML.parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8')));
const stages = parseDockerfile(readFileSync(fromRoot('Dockerfile'), 'utf8'));
const packageVersion = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'))).version;

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function dependencies(target: Service): Array<[string, string]> {
  const dependsOn = target.depends_on;
  if (!dependsOn) return [];
  return Array.isArray(dependsOn) ? dependsOn.map((name) => [name, 'service_started']) : Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]);
}

/** `${NAME:-default}` → default; what the container sees when the operator sets nothing. */
function withDefaults(value: string): string {
  return value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
}

/** The TEMPORAL_* variables @temporalio/envconfig reads, taken from its own code so an SDK upgrade is noticed. */
function temporalVariablesTheSdkReads(): string[] {
  const libDirectory = path.dirname(require.resolve('@temporalio/envconfig'));
  const names = new Set<string>();
  for (const file of readdirSync(libDirectory).filter((name) => name.endsWith('.js'))) {
    for (const match of readFileSync(path.join(libDirectory, file), 'utf8').matchAll(/TEMPORAL_[A-Z_]+/g)) names.add(match[0]);
  }
  return [...names];
}

function isReadByTheConnector(variable: string): boolean {
  const temporal = temporalVariablesTheSdkReads();
  return (
    WORKER_ENVIRONMENT_VARIABLES.includes(variable) ||
    (ENCRYPTION_ENVIRONMENT_VARIABLES as readonly string[]).includes(variable) ||
    (STORAGE_ENVIRONMENT_VARIABLES as readonly string[]).includes(variable) ||
    variable === 'PEAKON_TOKEN' ||
    // Read by Node itself: the worker's heap limit (docs/deploy.md, "Worker memory").
    variable === 'NODE_OPTIONS' ||
    // Read by the AWS SDK for an S3 payload store (its region; required off AWS too).
    variable === 'AWS_REGION' ||
    temporal.includes(variable) ||
    temporal.some((name) => name.endsWith('_') && variable.startsWith(name))
  );
}

function commandLine(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/);
}

const registeredSubcommands = () => buildCli().commands.map((command) => command.name());

describe('docker-compose.yml', () => {
  it('has the self-hosted Temporal layout, the worker, and the sandbox only in the demo profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'postgresql', 'prometheus', 'sandbox', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-namespace').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('postgresql').image).toMatch(/^postgres:16\./);
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:v\d/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:\d/);
    expect(service('sandbox').profiles).toEqual(['demo']);
    for (const name of Object.keys(compose.services).filter((name) => name !== 'sandbox')) expect(service(name).profiles).toBeUndefined();
  });

  it('depends only on services that exist, healthchecked where it waits for health, and never on the optional sandbox', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const [dependency, condition] of dependencies(definition)) {
        expect({ service: name, dependsOn: dependency, exists: dependency in compose.services }).toEqual({ service: name, dependsOn: dependency, exists: true });
        if (condition === 'service_healthy') expect({ dependency, healthcheck: service(dependency).healthcheck !== undefined }).toEqual({ dependency, healthcheck: true });
        // A one-shot job that `unless-stopped` restarted would never count as completed.
        if (condition === 'service_completed_successfully') expect(service(dependency).restart ?? 'no').toMatch(/^(no|on-failure(:\d+)?)$/);
        expect(service(dependency).profiles).toBeUndefined();
      }
    }
  });

  it('starts in order: database, schema job, server, namespace job, then the worker', () => {
    expect(dependencies(service('temporal-schema'))).toEqual([['postgresql', 'service_healthy']]);
    expect(dependencies(service('temporal'))).toEqual([['temporal-schema', 'service_completed_successfully']]);
    expect(dependencies(service('temporal-namespace'))).toEqual([['temporal', 'service_healthy']]);
    expect(dependencies(service('worker'))).toEqual([['temporal-namespace', 'service_completed_successfully']]);
  });

  it('publishes the frontend on 7233, the UI on 8080, the sandbox on 8088, Prometheus on 9090 and Grafana on 3000, on loopback only', () => {
    expect(service('temporal').ports).toContain('127.0.0.1:7233:7233');
    expect(service('temporal-ui').ports).toContain('127.0.0.1:8080:8080');
    expect(service('sandbox').ports).toContain('127.0.0.1:8088:8088');
    expect(service('prometheus').ports).toContain('127.0.0.1:9090:9090');
    expect(service('grafana').ports).toContain('127.0.0.1:3000:3000');
    // None of them authenticates by default (anyone reaching the frontend can start workflows): no port on all interfaces.
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const port of definition.ports ?? []) expect({ service: name, port, loopbackOnly: port.startsWith('127.0.0.1:') }).toEqual({ service: name, port, loopbackOnly: true });
    }
    // The worker's metrics are for Prometheus on the compose network, not for the host.
    expect(service('worker').ports).toBeUndefined();
  });

  it('pins every image to a version, and tags the connector image with the package version', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      const image = definition.image ?? '';
      const tag = /^[^:@]+:([^:@]+)$/.exec(image)?.[1];
      expect({ service: name, image, pinned: tag !== undefined && tag !== 'latest' && /\d/.test(tag) }).toEqual({ service: name, image, pinned: true });
      if (definition.build === undefined) continue;
      // The sandbox (test bench, development dependencies) has its own Dockerfile stage and image; the rest run the slim runtime.
      const target = typeof definition.build === 'object' ? definition.build.target : undefined;
      if (name === 'sandbox') {
        expect({ image, target }).toEqual({ image: `peakon-scim-connector-sandbox:${packageVersion}`, target: 'sandbox' });
        expect(stages.map((stage) => stage.name)).toContain('sandbox');
      } else expect({ service: name, image, target }).toEqual({ service: name, image: `peakon-scim-connector:${packageVersion}`, target: undefined });
    }
    for (const stage of stages) expect(stage.image).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
  });

  it('sets only environment variables the connector reads on the worker, and points it at the compose Temporal', () => {
    const environment = service('worker').environment ?? {};
    for (const variable of Object.keys(environment)) expect({ variable, readByTheConnector: isReadByTheConnector(variable) }).toEqual({ variable, readByTheConnector: true });
    expect(withDefaults(String(environment.TEMPORAL_ADDRESS))).toBe('temporal:7233');
    // The defaults compose fills in must pass the worker's own validation.
    const asTheWorkerSeesIt = Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, withDefaults(String(value))]));
    expect(WorkerEnvironmentSchema.safeParse(asTheWorkerSeesIt).success).toBe(true);
    // An explicit V8 heap limit: without one Node sizes the heap from the memory it sees and garbage piles up to it.
    expect(asTheWorkerSeesIt.NODE_OPTIONS).toMatch(/^--max-old-space-size=\d+$/);
  });

  it('keeps secrets in an optional env file whose example names only variables the connector reads', () => {
    const envFiles = service('worker').env_file ?? [];
    expect(envFiles).toEqual([{ path: './deploy/connector.env', required: false }]);
    expect(service('sandbox').env_file).toEqual(envFiles);
    const example = readFileSync(fromRoot('deploy/connector.env.example'), 'utf8');
    const names = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1] ?? '');
    expect(names).toContain('PEAKON_TOKEN');
    for (const name of names) expect({ name, readByTheConnector: isReadByTheConnector(name) }).toEqual({ name, readByTheConnector: true });
    const ignored = readFileSync(fromRoot('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toContain('deploy/connector.env');
  });

  it('gives the worker its encryption key as a compose secret from a git- and docker-ignored file, never in the env file', () => {
    // Without a key the worker refuses to start: a deployment made from these files must get one.
    const raw = z
      .object({ secrets: z.record(z.string(), z.object({ file: z.string() })), services: z.object({ worker: z.object({ secrets: z.array(z.string()) }) }) })
      .parse(YAML.parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8')));
    const { secrets } = raw;
    const worker = raw.services.worker;
    const keyFile = String(service('worker').environment?.PEAKON_SYNC_ENCRYPTION_KEY_FILE);
    const name = /^\/run\/secrets\/(\w+)$/.exec(keyFile)?.[1] ?? '';
    expect(worker.secrets).toContain(name);
    const hostFile = secrets[name]?.file ?? '';
    expect(hostFile).toMatch(/^\.\/deploy\/[\w.-]+\.key$/);
    for (const ignoreFile of ['.gitignore', '.dockerignore']) expect(readFileSync(fromRoot(ignoreFile), 'utf8').split('\n')).toContain('deploy/*.key');
    // The example env file explains the key file and sets no second key (both set is an error) nor the opt-out.
    const example = readFileSync(fromRoot('deploy/connector.env.example'), 'utf8');
    expect(example).toContain(hostFile.slice(2));
    expect(example).not.toMatch(/^PEAKON_SYNC_(ENCRYPTION_KEY|ALLOW_UNENCRYPTED_PAYLOADS)/m);
  });

  it("mounts the shared state volume at the worker's state directory and the image declares it a volume", () => {
    const stateDirectory = withDefaults(String(service('worker').environment?.PEAKON_SYNC_STATE_DIR));
    expect(service('worker').volumes).toContain(`peakon-state:${stateDirectory}`);
    expect(compose.volumes).toHaveProperty('peakon-state');
    const runtime = stages.at(-1);
    expect(runtime && execForm(lastInstruction(runtime, 'VOLUME')?.args ?? '[]')).toEqual([stateDirectory]);
    // A named volume starts with the image folder's mode and owner: reports and the payload store are personal data,
    // so the folder is the worker's alone (0700, owned by the user it runs as), not mkdir's 0755.
    const user = lastInstruction(runtime!, 'USER')?.args;
    const creates = runtime!.instructions.filter((instruction) => instruction.keyword === 'RUN' && instruction.args.includes(stateDirectory));
    expect(creates.map((instruction) => instruction.args)).toEqual([expect.stringMatching(new RegExp(`install -d -m 0?700 -o ${user} -g ${user} ${stateDirectory}(\\s|$)`))]);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const volume of definition.volumes ?? []) {
        const source = withDefaults(volume.split(':')[0] ?? '');
        if (!source.startsWith('./')) continue;
        expect({ service: name, source, exists: existsSync(fromRoot(source)) }).toEqual({ service: name, source, exists: true });
      }
    }
    const dynamicConfig = String(service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH);
    expect(existsSync(fromRoot('deploy/temporal/dynamicconfig', path.basename(dynamicConfig)))).toBe(true);
  });

  it("registers the connector's search attributes as Keyword in the namespace job", () => {
    expect(commandLine(service('temporal-namespace').command)).toEqual(['/deploy/create-namespace.sh']);
    const script = readFileSync(fromRoot('deploy/temporal/create-namespace.sh'), 'utf8');
    expect(script).toMatch(/search-attribute create .*--type Keyword/);
    const registered = /for attribute in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    expect(registered?.sort()).toEqual(SEARCH_ATTRIBUTE_KEYS.map((key) => key.name).sort());
    expect(SEARCH_ATTRIBUTE_KEYS.every((key) => key.type === 'KEYWORD')).toBe(true);
  });

  it('hands the namespace job every variable its script reads (a default there is unreachable otherwise)', () => {
    const script = readFileSync(fromRoot('deploy/temporal/create-namespace.sh'), 'utf8');
    const read = [...new Set([...script.matchAll(/\$\{([A-Z_]+)(?::-[^}]*)?\}/g)].map((match) => match[1]))].sort();
    expect(read).toContain('NAMESPACE_RETENTION');
    expect(Object.keys(service('temporal-namespace').environment ?? {}).sort()).toEqual(read);
  });

  it('runs the sandbox with a registered subcommand and options, on the published port', () => {
    const [subcommand, ...options] = commandLine(service('sandbox').command);
    expect(registeredSubcommands()).toContain(subcommand);
    const sandbox = buildCli().commands.find((command) => command.name() === subcommand);
    const known = new Set(sandbox?.options.map((option) => option.long));
    for (const flag of options.filter((option) => option.startsWith('--'))) expect({ flag, known: known.has(flag) }).toEqual({ flag, known: true });
    expect(options[options.indexOf('--port') + 1]).toBe('8088');
    // Inside a container, 127.0.0.1 would be unreachable from the worker and the host.
    expect(options[options.indexOf('--host') + 1]).toBe('0.0.0.0');
  });

  it('ships a demo config that is valid and points at the sandbox service and an HR file inside the image', () => {
    const demo = loadConfigFile(fromRoot('deploy/demo/config.yaml'));
    const baseUrl = new URL(demo.peakon.baseUrl);
    expect(baseUrl.hostname).toBe('sandbox');
    expect(baseUrl.port).toBe('8088');
    expect(demo.source.type).toBe('csv');
    const csvPath = demo.source.type === 'csv' ? demo.source.path : '';
    expect(csvPath).toBe('/app/examples/sample-hr.csv');
    expect(existsSync(fromRoot('examples', path.basename(csvPath)))).toBe(true);
    expect(service('worker').volumes).toContain('${PEAKON_SYNC_CONFIG_DIR:-./deploy/demo}:/config:ro');
  });
});

/** `/a/b:/c:ro` → { source: '/a/b', target: '/c' } (named volumes and bind mounts alike). */
function mount(volume: string): { source: string; target: string } {
  const [source = '', target = ''] = withDefaults(volume).split(':');
  return { source, target };
}

/** The host file or folder compose mounts at `containerPath` in `target` (a file inside a mounted folder included). */
function hostPathOf(target: Service, containerPath: string): string | undefined {
  for (const { source, target: mounted } of (target.volumes ?? []).map(mount)) {
    if (!source.startsWith('./')) continue;
    if (containerPath === mounted) return fromRoot(source);
    if (containerPath.startsWith(`${mounted}/`)) return fromRoot(source, containerPath.slice(mounted.length + 1));
  }
  return undefined;
}

const PrometheusConfigSchema = z.object({
  scrape_configs: z.array(
    z.object({
      job_name: z.string(),
      metrics_path: z.string().optional(),
      dns_sd_configs: z.array(z.object({ names: z.array(z.string()), type: z.string().optional(), port: z.number().int() })).optional(),
      static_configs: z.array(z.object({ targets: z.array(z.string()) })).optional(),
    }),
  ),
});
const GrafanaDatasourcesSchema = z.object({ datasources: z.array(z.object({ name: z.string(), uid: z.string(), type: z.string(), url: z.string(), isDefault: z.boolean().optional() })) });
const GrafanaProvidersSchema = z.object({ providers: z.array(z.object({ name: z.string(), type: z.literal('file'), options: z.object({ path: z.string() }) })) });
const DatasourceRefSchema = z.object({ type: z.string(), uid: z.string() });
const DashboardSchema = z.object({
  uid: z.string(),
  title: z.string(),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string(), query: z.unknown(), definition: z.string().optional(), current: z.object({ value: z.unknown() }).optional() })) }),
  panels: z.array(
    z.object({
      id: z.number().int(),
      title: z.string(),
      datasource: DatasourceRefSchema,
      gridPos: z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1), h: z.number().int().min(1) }),
      targets: z.array(z.object({ expr: z.string().min(1), refId: z.string(), datasource: DatasourceRefSchema })).min(1),
    }),
  ),
});

/** Metric names in a PromQL expression; a histogram's `_bucket`/`_sum`/`_count` series name the histogram. */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\b(?:peakon_sync|temporal)_[a-z0-9_]+\b/g)].map((match) => match[0].replace(/_(bucket|sum|count)$/, ''));
}

describe('metrics: Prometheus and Grafana in docker-compose.yml', () => {
  const metricsAddress = withDefaults(String(service('worker').environment?.PEAKON_SYNC_METRICS_ADDRESS ?? ''));
  const metricsPort = Number(metricsAddress.split(':').at(-1));
  const prometheusConfigPath = commandLine(service('prometheus').command).find((argument) => argument.startsWith('--config.file='))?.slice('--config.file='.length) ?? '/etc/prometheus/prometheus.yml';
  const grafana = service('grafana');
  const provisioningDirectory = hostPathOf(grafana, '/etc/grafana/provisioning');
  const documented = readFileSync(fromRoot('docs/metrics.md'), 'utf8');

  it('has the worker serve metrics on all its interfaces, on the compose network only', () => {
    // 0.0.0.0: Prometheus runs in another container; 127.0.0.1 would only be reachable from inside the worker's.
    expect(metricsAddress).toBe('0.0.0.0:9464');
    expect(WorkerEnvironmentSchema.safeParse({ PEAKON_SYNC_METRICS_ADDRESS: metricsAddress }).success).toBe(true);
    expect(service('worker').expose).toContain(String(metricsPort));
  });

  it('has Prometheus scrape every replica of the worker service at the port and path the worker serves', () => {
    const configFile = hostPathOf(service('prometheus'), prometheusConfigPath);
    expect(configFile).toBe(fromRoot('deploy/prometheus/prometheus.yml'));
    const config = PrometheusConfigSchema.parse(YAML.parse(readFileSync(configFile ?? '', 'utf8')));
    const workerJobs = config.scrape_configs.filter((job) => (job.dns_sd_configs ?? []).some((discovery) => discovery.names.includes('worker')));
    expect(workerJobs).toHaveLength(1);
    const [job] = workerJobs;
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    // DNS discovery of the service name finds every `--scale worker=N` replica; a static target would reach only one.
    expect(job?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['worker'], type: 'A', port: metricsPort })]);
    expect(Object.keys(compose.services)).toContain('worker');
    expect(service('prometheus').volumes?.map(mount)).toContainEqual({ source: 'prometheus-data', target: '/prometheus' });
    expect(compose.volumes).toHaveProperty('prometheus-data');
  });

  it('provisions Grafana from mounted folders: the Prometheus service as datasource, and the dashboard folder', () => {
    expect(provisioningDirectory).toBe(fromRoot('deploy/grafana/provisioning'));
    expect(dependencies(grafana)).toEqual([['prometheus', 'service_started']]);
    const datasourceFiles = readdirSync(path.join(provisioningDirectory ?? '', 'datasources'));
    const datasources = datasourceFiles.flatMap((file) => GrafanaDatasourcesSchema.parse(YAML.parse(readFileSync(path.join(provisioningDirectory ?? '', 'datasources', file), 'utf8'))).datasources);
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', isDefault: true })]);
    const prometheusUrl = new URL(datasources[0]?.url ?? '');
    expect(prometheusUrl.hostname).toBe('prometheus');
    expect(service('prometheus').ports).toContain(`127.0.0.1:${prometheusUrl.port}:${prometheusUrl.port}`);

    const providerFiles = readdirSync(path.join(provisioningDirectory ?? '', 'dashboards'));
    const providers = providerFiles.flatMap((file) => GrafanaProvidersSchema.parse(YAML.parse(readFileSync(path.join(provisioningDirectory ?? '', 'dashboards', file), 'utf8'))).providers);
    expect(providers).toHaveLength(1);
    const dashboardDirectory = hostPathOf(grafana, providers[0]?.options.path ?? '');
    expect(dashboardDirectory).toBe(fromRoot('deploy/grafana/dashboards'));
    expect(readdirSync(dashboardDirectory ?? '')).toEqual(['peakon-sync.json']);
    expect(hostPathOf(grafana, String(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH))).toBe(fromRoot('deploy/grafana/dashboards/peakon-sync.json'));
    expect(grafana.volumes?.map(mount)).toContainEqual({ source: 'grafana-data', target: '/var/lib/grafana' });
    expect(compose.volumes).toHaveProperty('grafana-data');
  });

  it('ships a dashboard that parses, queries the provisioned datasource, and names only documented metrics, every connector metric among them', () => {
    const dashboard = DashboardSchema.parse(JSON.parse(readFileSync(fromRoot('deploy/grafana/dashboards/peakon-sync.json'), 'utf8')));
    const provisionedUid = GrafanaDatasourcesSchema.parse(YAML.parse(readFileSync(path.join(provisioningDirectory ?? '', 'datasources', 'prometheus.yml'), 'utf8'))).datasources[0]?.uid;
    const datasourceVariable = dashboard.templating.list.find((variable) => variable.type === 'datasource');
    expect(datasourceVariable).toMatchObject({ name: 'datasource', query: 'prometheus', current: { value: provisionedUid } });
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    const expressions: string[] = [];
    for (const panel of dashboard.panels) {
      expect({ panel: panel.title, fits: panel.gridPos.x + panel.gridPos.w <= 24 }).toEqual({ panel: panel.title, fits: true });
      for (const reference of [panel.datasource, ...panel.targets.map((target) => target.datasource)]) expect(reference).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expressions.push(...panel.targets.map((target) => target.expr));
    }
    expressions.push(...dashboard.templating.list.flatMap((variable) => (variable.definition ? [variable.definition] : [])));
    const queried = new Set(expressions.flatMap(metricNames));
    for (const metric of queried) expect({ metric, documentedInDocsMetricsMd: documented.includes(`\`${metric}\``) }).toEqual({ metric, documentedInDocsMetricsMd: true });
    for (const metric of CONNECTOR_METRICS) expect({ metric: metric.name, onTheDashboard: queried.has(metric.name) }).toEqual({ metric: metric.name, onTheDashboard: true });
    // Every query that filters by tenant uses the dashboard's tenant variable, which lists the tenants the workers saw.
    for (const expression of expressions.filter((candidate) => candidate.includes('tenant=~'))) expect(expression).toContain('tenant=~"$tenant"');
  });
});

describe('Dockerfile', () => {
  const runtime = stages.at(-1);
  const build = stages[0];

  it('builds in one stage (npm ci, npm run build, prune dev dependencies) and runs from a clean second stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const commands = build?.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args).join(' && ') ?? '';
    expect(commands).toMatch(/npm ci\b/);
    expect(commands).toMatch(/npm run build\b/);
    expect(commands).toMatch(/npm prune --omit=dev\b/);
    expect(runtime?.instructions.some((instruction) => instruction.keyword === 'COPY' && instruction.args.includes(`--from=${build?.name}`))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const user = runtime && lastInstruction(runtime, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it("starts the built CLI's worker subcommand, which buildCli() registers and `npm run build` emits", () => {
    const entrypoint = runtime ? execForm(lastInstruction(runtime, 'ENTRYPOINT')?.args ?? '[]') : [];
    const command = runtime ? execForm(lastInstruction(runtime, 'CMD')?.args ?? '[]') : [];
    expect([...entrypoint, ...command]).toEqual(['node', 'dist/client/cli.js', 'worker']);
    expect(registeredSubcommands()).toContain('worker');
    // tsconfig.build.json compiles client/cli.ts into dist/client/cli.js (rootDir ".", outDir "dist").
    const buildConfig = z.object({ include: z.array(z.string()) }).parse(JSON.parse(readFileSync(fromRoot('tsconfig.build.json'), 'utf8')));
    expect(buildConfig.include).toContain('client');
    expect(existsSync(fromRoot('client/cli.ts'))).toBe(true);
    expect({ file: 'dist/client/cli.js', existsAfterNpmRunBuild: existsSync(fromRoot('dist/client/cli.js')) }).toEqual({ file: 'dist/client/cli.js', existsAfterNpmRunBuild: true });
  });

  it('keeps tests, local state, build output and secrets out of the build context', () => {
    const ignored = readFileSync(fromRoot('.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'test', '.peakon-sync', '.tools', 'deploy/connector.env']) expect(ignored).toContain(entry);
    // The runtime image needs these, so they must not be ignored.
    for (const needed of ['examples', 'bin', 'package-lock.json']) expect(ignored).not.toContain(needed);
  });
});
