/**
 * The deployment material in deploy/, validated as far as this machine allows: containers and
 * Kubernetes cannot run here (no daemon, no cluster), so
 *   - the Helm chart is linted and rendered with helm (deploy/tools/helm.sh builds it from the Go
 *     module proxy once) and the rendered objects are checked;
 *   - the compose file is validated against the Compose Specification's JSON schema (vendored in
 *     deploy/tools/compose-spec.json) and its service graph checked;
 *   - every librarian.yaml shipped (example, compose, the chart's ConfigMap) loads with the real
 *     loadConfig;
 *   - the Dockerfile's runtime stage is reproduced as a directory (the files it copies) and
 *     `librarian setup` runs from it;
 *   - the Grafana dashboard and Prometheus rules use only metrics the code defines;
 *   - the systemd units pass `systemd-analyze verify` where it exists, and keep their key options.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');
const CHART = path.join(DEPLOY, 'helm/librarian');

type Obj = Record<string, any>;

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Environment without LIBRARIAN_* settings (the test run's own must not reach the commands). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIBRARIAN_') || k === 'LIBRARIAN_CACHE_DIR'));
}

/** Loads a librarian.yaml whose secret files live under `secretDir`, from files made in a temp dir. */
function loadWithSecrets(text: string, secretDir: string, files: Record<string, string>) {
  const dir = tmp('deploy-config-');
  for (const [name, value] of Object.entries(files)) writeFileSync(path.join(dir, name), `${value}\n`);
  const file = path.join(dir, 'librarian.yaml');
  writeFileSync(file, text.split(secretDir).join(`${dir}/`));
  return { config: loadConfig(file, {}), dir };
}

const SECRETS = {
  'database-url': 'postgresql://librarian:pw@db.example.org:5432/librarian',
  'encryption-key': 'an-encryption-key',
  'metrics-token': 'a-metrics-token',
  'slack-webhook-url': 'https://hooks.slack.example/T0/B0/x',
};

// ---------------------------------------------------------------------------------------------
describe('Helm chart deploy/helm/librarian', () => {
  let helm = '';
  beforeAll(() => {
    // First run on a machine without helm: built from the Go module proxy (a few minutes), then cached.
    helm = execFileSync(path.join(DEPLOY, 'tools/helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }, 15 * 60_000);

  const KUBE = ['--kube-version', '1.30.0'];
  function run(args: string[]) {
    return spawnSync(helm, args, { encoding: 'utf8', env: { ...cleanEnv(), HELM_CACHE_HOME: path.join(os.tmpdir(), 'helm-cache'), HELM_CONFIG_HOME: path.join(os.tmpdir(), 'helm-config') } });
  }
  function render(valuesFile?: string): Obj[] {
    const r = run(['template', 'site', CHART, '--namespace', 'librarian', ...KUBE, ...(valuesFile ? ['-f', path.join(CHART, 'ci', valuesFile)] : [])]);
    if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
    return YAML.parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Obj)
      .filter(Boolean);
  }
  const one = (objs: Obj[], kind: string, name: string) => {
    const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const container = (o: Obj) => (o.kind === 'Job' ? o.spec.template.spec.containers[0] : o.spec.template.spec.containers[0]);
  const volume = (o: Obj, name: string) => o.spec.template.spec.volumes.find((v: Obj) => v.name === name);
  const hooks = (o: Obj) => String(o.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');

  test.each(readdirSync(path.join(CHART, 'ci')))('helm lint --strict with ci/%s', (file) => {
    const r = run(['lint', '--strict', CHART, '-f', path.join(CHART, 'ci', file), ...KUBE]);
    expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  test('without secrets or existingSecret, rendering fails and says which value is missing', () => {
    const r = run(['template', 'site', CHART, ...KUBE]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/secrets\.databaseUrl is required \(or set secrets\.existingSecret\)/);
  });

  test('defaults: API Deployment + Service, worker Deployment, setup Job hook, ConfigMap, Secret, PVC', () => {
    const objs = render('secrets-values.yaml');
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/site-librarian',
        'ConfigMap/site-librarian-setup',
        'Deployment/site-librarian-api',
        'Deployment/site-librarian-worker',
        'Job/site-librarian-setup',
        'PersistentVolumeClaim/site-librarian-data',
        'Secret/site-librarian',
        'Secret/site-librarian-setup',
        'Service/site-librarian-api',
        'ServiceAccount/site-librarian',
      ].sort(),
    );

    const api = one(objs, 'Deployment', 'site-librarian-api');
    const worker = one(objs, 'Deployment', 'site-librarian-worker');
    const job = one(objs, 'Job', 'site-librarian-setup');
    const svc = one(objs, 'Service', 'site-librarian-api');
    const pvc = one(objs, 'PersistentVolumeClaim', 'site-librarian-data');

    // Commands: one image, the arguments choose.
    for (const o of [api, worker, job]) expect(container(o).image).toBe('registry.example.org/librarian:0.1.0');
    expect(container(api).args).toEqual(['server', 'start']);
    expect(container(worker).args).toEqual(['worker', 'start']);
    expect(container(job).args.slice(0, 1)).toEqual(['setup']);
    expect(container(job).args).toEqual(expect.arrayContaining(['--admin-password-file', '/etc/librarian/secrets/admin-password']));

    // Probes on the health endpoints.
    const apiC = container(api);
    expect(apiC.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 8080 })]);
    expect(apiC.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(apiC.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(apiC.startupProbe.httpGet.path).toBe('/healthz');
    const wC = container(worker);
    expect(wC.ports).toEqual([expect.objectContaining({ name: 'health', containerPort: 9090 })]);
    expect(wC.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(wC.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(svc.spec.ports[0]).toEqual(expect.objectContaining({ targetPort: 'http' }));
    expect(svc.spec.selector).toEqual(api.spec.template.metadata.labels);

    // Shutdown: longer than the 30 s the processes take after SIGTERM.
    for (const o of [api, worker]) expect(o.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(45);
    // Non-root, as the image.
    for (const o of [api, worker, job]) {
      expect(o.spec.template.spec.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 }));
      expect(container(o).resources.requests).toBeDefined();
    }

    // The setup Job runs as a hook before upgrades; with the chart's own claim, after the first install.
    expect(hooks(job).sort()).toEqual(['post-install', 'pre-upgrade']);
    for (const k of ['ConfigMap', 'Secret']) {
      const copy = one(objs, k, 'site-librarian-setup');
      expect(hooks(copy)).toEqual(hooks(job));
      expect(Number(copy.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations['helm.sh/hook-weight']));
    }
    expect(volume(job, 'config').configMap.name).toBe('site-librarian-setup');
    expect(volume(job, 'secrets').secret.secretName).toBe('site-librarian-setup');
    expect(pvc.metadata.annotations['helm.sh/resource-policy']).toBe('keep');

    // Configuration and secrets mounted in every pod, storage shared.
    for (const o of [api, worker, job]) {
      const mounts = container(o).volumeMounts as Obj[];
      expect(mounts).toEqual(
        expect.arrayContaining([
          { name: 'config', mountPath: '/etc/librarian/librarian.yaml', subPath: 'librarian.yaml', readOnly: true },
          { name: 'secrets', mountPath: '/etc/librarian/secrets', readOnly: true },
          { name: 'data', mountPath: '/data' },
        ]),
      );
      expect(container(o).env).toEqual(expect.arrayContaining([{ name: 'LIBRARIAN_CONFIG', value: '/etc/librarian/librarian.yaml' }]));
      expect(volume(o, 'data').persistentVolumeClaim.claimName).toBe('site-librarian-data');
    }
    for (const o of [api, worker]) {
      expect(volume(o, 'config').configMap.name).toBe('site-librarian');
      expect(volume(o, 'secrets').secret.secretName).toBe('site-librarian');
    }
    const secret = one(objs, 'Secret', 'site-librarian');
    expect(Object.keys(secret.data).sort()).toEqual(['admin-password', 'database-url', 'encryption-key', 'metrics-token']);
    expect(one(objs, 'Secret', 'site-librarian-setup').data).toEqual(secret.data);

    // The ConfigMap's librarian.yaml loads, with the secrets as files.
    const cm = one(objs, 'ConfigMap', 'site-librarian');
    expect(one(objs, 'ConfigMap', 'site-librarian-setup').data).toEqual(cm.data);
    const files = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const { config } = loadWithSecrets(cm.data['librarian.yaml'], '/etc/librarian/secrets/', files);
    expect(config.database).toEqual(expect.objectContaining({ provider: 'postgresql', url: 'postgresql://librarian:secret@postgresql.example.org:5432/librarian' }));
    expect(config.api).toEqual(expect.objectContaining({ host: '0.0.0.0', port: 8080, publicUrl: 'https://librarian.example.org' }));
    expect(config.temporal).toEqual(expect.objectContaining({ address: 'temporal-frontend.temporal.svc.cluster.local:7233', namespace: 'default', taskQueue: 'librarian-site-a' }));
    expect(config.encryptionKey).toBe('a-long-random-encryption-key');
    expect(config.metrics.token).toBe('a-metrics-token');
    expect(config.stores.map((s) => s.storePath)).toEqual(['/data/stores/main']);
    expect((config as Obj).worker).toEqual(expect.objectContaining({ healthPort: 9090, healthHost: '0.0.0.0' }));
  });

  test('existingSecret, hostPath, extra volume and Ingress', () => {
    const objs = render('existing-secret-hostpath-values.yaml');
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objs.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    const api = one(objs, 'Deployment', 'site-librarian-api');
    const worker = one(objs, 'Deployment', 'site-librarian-worker');
    const job = one(objs, 'Job', 'site-librarian-setup');
    expect(api.spec.replicas).toBe(3);
    expect(worker.spec.replicas).toBe(4);
    // Storage exists before the release: setup runs before install and before every upgrade.
    expect(hooks(job).sort()).toEqual(['pre-install', 'pre-upgrade']);
    for (const o of [api, worker, job]) {
      expect(container(o).image).toBe('registry.example.org/science/librarian:0.1.0-rc1');
      expect(volume(o, 'secrets').secret.secretName).toBe('librarian-secrets');
      expect(volume(o, 'data').hostPath).toEqual({ path: '/srv/librarian', type: 'DirectoryOrCreate' });
      expect(volume(o, 'archive').persistentVolumeClaim.claimName).toBe('librarian-archive');
      expect(container(o).volumeMounts).toEqual(expect.arrayContaining([{ name: 'archive', mountPath: '/archive' }]));
    }
    expect(container(worker).ports[0].containerPort).toBe(9191);
    const ingress = one(objs, 'Ingress', 'site-librarian');
    expect(ingress.spec.rules[0].host).toBe('librarian.site-b.example.org');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'site-librarian-api', port: { name: 'http' } });
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');

    const cm = one(objs, 'ConfigMap', 'site-librarian');
    const { config } = loadWithSecrets(cm.data['librarian.yaml'], '/etc/librarian/secrets/', SECRETS);
    expect(config.name).toBe('site-b');
    expect(config.temporal).toEqual(expect.objectContaining({ address: 'temporal.example.org:7233', namespace: 'science', taskQueue: 'librarian-site-b' }));
    expect(config.notifications.slackWebhookUrl).toBe(SECRETS['slack-webhook-url']);
    expect(config.stores.map((s) => [s.name, s.ingestable])).toEqual([
      ['main', true],
      ['archive', false],
    ]);
    expect((config as Obj).worker).toEqual(expect.objectContaining({ healthPort: 9191, healthHost: '0.0.0.0' }));
  });
});

// ---------------------------------------------------------------------------------------------
describe('compose deploy/compose', () => {
  const dir = path.join(DEPLOY, 'compose');

  function dotenv(file: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) env[m[1]!] = interpolate(m[2]!, env);
    }
    return env;
  }
  /** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$. */
  function interpolate(text: string, env: Record<string, string>, missing: Set<string> = new Set()): string {
    return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (all === '$$') return '$';
      const v = env[name!];
      if (op === ':-' ? v : v !== undefined) return v!;
      if (op === ':-' || op === '-') return arg ?? '';
      missing.add(name!);
      return '';
    });
  }
  function load(): { doc: Obj; env: Record<string, string>; missing: Set<string> } {
    const env = dotenv(path.join(dir, '.env.example'));
    const missing = new Set<string>();
    const text = interpolate(readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), env, missing);
    return { doc: YAML.parse(text, { merge: true }) as Obj, env, missing };
  }

  test('is valid under the Compose Specification JSON schema (compose-go v2.17.0)', () => {
    const schema = JSON.parse(readFileSync(path.join(DEPLOY, 'tools/compose-spec.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const { doc, missing } = load();
    expect([...missing]).toEqual([]);
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema does catch mistakes (a guard against validating against an empty schema).
    expect(validate({ services: { x: { image: 'a', depends_on: { y: { condition: 'service_finished' } } } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a', helthcheck: {} } } })).toBe(false);
  });

  test('service graph: one-shots in order, health checks, pinned images, secrets, grace periods', () => {
    const { doc } = load();
    const s = doc.services as Record<string, Obj>;
    expect(Object.keys(s).sort()).toEqual(
      ['librarian-api', 'librarian-setup', 'librarian-worker', 'postgresql', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui'].sort(),
    );
    const cond = (svc: string, dep: string) => s[svc]!.depends_on?.[dep]?.condition;
    expect(cond('temporal-schema', 'postgresql')).toBe('service_healthy');
    expect(cond('temporal', 'temporal-schema')).toBe('service_completed_successfully');
    expect(cond('temporal-namespace', 'temporal')).toBe('service_healthy');
    expect(cond('librarian-setup', 'temporal-namespace')).toBe('service_completed_successfully');
    expect(cond('librarian-setup', 'postgresql')).toBe('service_healthy');
    expect(cond('librarian-api', 'librarian-setup')).toBe('service_completed_successfully');
    expect(cond('librarian-worker', 'librarian-setup')).toBe('service_completed_successfully');
    expect(cond('temporal-ui', 'temporal')).toBe('service_healthy');
    for (const oneShot of ['temporal-schema', 'temporal-namespace', 'librarian-setup']) expect(s[oneShot]!.restart).toBe('no');

    // Every dependency exists; service_healthy only on services with a health check; no cycle.
    const seen = new Map<string, number>();
    const visit = (name: string, stack: string[]) => {
      expect(stack).not.toContain(name);
      for (const [dep, { condition }] of Object.entries((s[name]!.depends_on ?? {}) as Record<string, Obj>)) {
        expect(s[dep]).toBeDefined();
        if (condition === 'service_healthy') expect(s[dep]!.healthcheck).toBeDefined();
        if (condition === 'service_completed_successfully') expect(s[dep]!.restart).toBe('no');
        visit(dep, [...stack, name]);
      }
      seen.set(name, 1);
    };
    for (const name of Object.keys(s)) visit(name, []);

    // The schema setup creates and migrates both of Temporal's databases with the SQL tool.
    const schemaScript = String(s['temporal-schema']!.command);
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d']) expect(schemaScript).toContain(step);
    expect(schemaScript).toContain('temporal temporal_visibility');
    expect(schemaScript).toContain('/etc/temporal/schema/postgresql/v12');
    expect(s['temporal']!.environment).toEqual(expect.objectContaining({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', DYNAMIC_CONFIG_FILE_PATH: expect.any(String) }));
    const dynamicMount = (s['temporal']!.volumes as string[]).find((v) => v.includes(s['temporal']!.environment.DYNAMIC_CONFIG_FILE_PATH));
    expect(dynamicMount).toBeDefined();

    // Images: pinned, never latest; the versions the project tests against.
    const images = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, String(v.image)]));
    for (const image of Object.values(images)) {
      expect(image).toMatch(/:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
    expect(images['temporal']).toBe('temporalio/server:1.29.1');
    expect(images['temporal-schema']).toBe('temporalio/admin-tools:1.29.1');
    expect(images['temporal-namespace']).toBe('temporalio/admin-tools:1.29.1');
    expect(images['temporal-ui']).toBe('temporalio/ui:2.42.1');
    expect(images['postgresql']).toMatch(/^postgres:16(\.|-|$)/);
    expect(s['librarian-api']!.build).toEqual({ context: '../..', dockerfile: 'deploy/Dockerfile' });
    expect(existsSync(path.resolve(dir, s['librarian-api']!.build.context, s['librarian-api']!.build.dockerfile))).toBe(true);

    // The Librarian's commands and health checks.
    expect(s['librarian-setup']!.command.slice(0, 1)).toEqual(['setup']);
    expect(s['librarian-api']!.command).toEqual(['server', 'start']);
    expect(s['librarian-worker']!.command).toEqual(['worker', 'start']);
    const compose = loadCompose();
    expect(s['librarian-api']!.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${compose.config.api.port}/readyz`);
    expect(s['librarian-worker']!.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${compose.raw.worker.healthPort}/readyz`);
    for (const name of ['librarian-api', 'librarian-worker']) {
      const grace = /^(\d+)s$/.exec(s[name]!.stop_grace_period)!;
      expect(Number(grace[1])).toBeGreaterThanOrEqual(45);
      expect(s[name]!.volumes).toEqual(expect.arrayContaining(['librarian-data:/data']));
    }

    // Secrets: what librarian.yaml reads is mounted where it looks, and every secret is defined.
    const setupSecrets = s['librarian-setup']!.secrets as string[];
    for (const name of ['librarian-setup', 'librarian-api', 'librarian-worker']) {
      for (const secret of s[name]!.secrets as string[]) expect(doc.secrets[secret]).toBeDefined();
      for (const f of [compose.raw.database.urlFile, compose.raw.encryptionKeyFile, compose.raw.metrics.tokenFile]) {
        expect(f).toMatch(/^\/run\/secrets\//);
        expect(s[name]!.secrets).toContain(path.basename(f));
      }
    }
    expect(s['librarian-setup']!.command).toEqual(expect.arrayContaining(['--admin-password-file', '/run/secrets/librarian_admin_password']));
    expect(setupSecrets).toContain('librarian_admin_password');
    // Files the compose file refers to exist.
    expect(existsSync(path.join(dir, doc.configs.librarian_yaml.file))).toBe(true);
    for (const svc of Object.values(s)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        if (v.startsWith('./')) expect(existsSync(path.join(dir, v.split(':')[0]!))).toBe(true);
      }
    }
  });

  test('.env.example defines every variable compose.yaml needs without a default, and nothing unused', () => {
    const compose = readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
    const env = dotenv(path.join(dir, '.env.example'));
    const used = new Set([...compose.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const required = new Set([...compose.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?:\}|:\?)/g)].map((m) => m[1]!));
    for (const v of required) expect(Object.keys(env)).toContain(v);
    // Secrets sourced from the environment count as uses.
    const secretVars = Object.values(YAML.parse(compose).secrets as Record<string, Obj>).map((x) => x.environment);
    for (const v of Object.keys(env)) expect([...used, ...secretVars]).toContain(v);
  });

  function loadCompose() {
    const text = readFileSync(path.join(dir, 'librarian.yaml'), 'utf8');
    const raw = YAML.parse(text) as Obj;
    const { config } = loadWithSecrets(text, '/run/secrets/', {
      librarian_db_url: 'postgresql://librarian:pw@postgresql:5432/librarian',
      librarian_encryption_key: 'k',
      librarian_metrics_token: 't',
    });
    return { raw, config };
  }

  test('librarian.yaml loads with loadConfig', () => {
    const { config } = loadCompose();
    expect(config.database).toEqual({ provider: 'postgresql', url: 'postgresql://librarian:pw@postgresql:5432/librarian', urlFile: expect.any(String) });
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.api.host).toBe('0.0.0.0');
    expect(config.encryptionKey).toBe('k');
    expect(config.metrics.token).toBe('t');
    // Staging and store on the one volume mounted at /data.
    for (const s of config.stores) {
      expect(s.stagingPath.startsWith('/data/')).toBe(true);
      expect(s.storePath.startsWith('/data/')).toBe(true);
    }
    expect((config as Obj).worker).toEqual(expect.objectContaining({ healthPort: 9090, healthHost: '0.0.0.0' }));
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/librarian.example.yaml', () => {
  test('loads with loadConfig: PostgreSQL from a file, Temporal cluster, TLS public URL, worker health port', () => {
    const text = readFileSync(path.join(DEPLOY, 'librarian.example.yaml'), 'utf8');
    const { config } = loadWithSecrets(text, '/etc/librarian/secrets/', SECRETS);
    expect(config.database).toEqual(expect.objectContaining({ provider: 'postgresql', url: SECRETS['database-url'] }));
    expect(config.temporal.address).not.toMatch(/^127\.0\.0\.1|^localhost/);
    expect(config.api.host).toBe('0.0.0.0');
    expect(config.api.publicUrl).toMatch(/^https:\/\//);
    expect(config.api.trustProxy).toBe('loopback');
    expect(config.encryptionKey).toBe(SECRETS['encryption-key']);
    expect(config.metrics.token).toBe(SECRETS['metrics-token']);
    expect(config.notifications.slackWebhookUrl).toBe(SECRETS['slack-webhook-url']);
    expect(config.stores.length).toBeGreaterThanOrEqual(2);
    expect((config as Obj).worker).toEqual(expect.objectContaining({ healthPort: 9090 }));
  });

  test('its commented logins section, uncommented, loads and is the defaults it says it is', () => {
    const text = readFileSync(path.join(DEPLOY, 'librarian.example.yaml'), 'utf8');
    const lines = text.split('\n');
    const start = lines.indexOf('# logins:');
    expect(start).toBeGreaterThan(0);
    const section = lines.slice(start, lines.indexOf('', start)).map((l) => l.replace(/^# ?/, ''));
    expect(section.length).toBe(8);
    const uncommented = [...lines.slice(0, start), ...section, ...lines.slice(start + section.length)].join('\n');
    const defaults = loadWithSecrets(text, '/etc/librarian/secrets/', SECRETS).config.logins;
    const loaded = loadWithSecrets(uncommented, '/etc/librarian/secrets/', SECRETS).config.logins;
    expect(Object.keys(loaded).sort()).toEqual(section.slice(1).map((l) => l.trim().split(':')[0]).sort());
    expect(loaded).toEqual(defaults);
  });
});

// ---------------------------------------------------------------------------------------------
describe('deploy/Dockerfile', () => {
  const text = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
  /** Instructions (continuations joined, comments dropped), grouped by stage. */
  function stages(): { name: string; lines: string[] }[] {
    const out: { name: string; lines: string[] }[] = [];
    const joined = text.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    for (const line of joined) {
      const m = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
      if (m) out.push({ name: m[1] ?? '', lines: [] });
      else if (out.length) out[out.length - 1]!.lines.push(line.trim());
    }
    return out;
  }

  test('multi-stage: build with the allowed install scripts, non-root runtime, ENTRYPOINT librarian', () => {
    const st = stages();
    expect(st.map((x) => x.name)).toEqual(['build', 'runtime']);
    const build = st[0]!.lines.join('\n');
    const runtime = st[1]!.lines;
    // The native packages npm may run scripts for are those package.json allows (docs/development.md).
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const rebuild = /npm rebuild ([^&\n]+)/.exec(build)![1]!.trim().split(/\s+/).sort();
    expect(rebuild).toEqual(Object.keys(pkg.allowScripts).sort());
    expect(build).toMatch(/npm ci --ignore-scripts/);
    expect(build).toMatch(/python3 make g\+\+/);
    expect(build).toMatch(/node scripts\/build\.mjs/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(runtime.find((l) => l.startsWith('USER '))).toMatch(/^USER (?!root|0\b)\S+/);
    expect(runtime.find((l) => l.startsWith('ENTRYPOINT '))).toBe('ENTRYPOINT ["librarian"]');
    expect(runtime.some((l) => /^VOLUME .*"\/data"/.test(l))).toBe(true);
    // The build stage copies only what .dockerignore lets into the context.
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('!'));
    for (const line of st[0]!.lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      for (const src of line.split(/\s+/).slice(1, -1)) {
        expect(existsSync(path.join(ROOT, src))).toBe(true);
        expect(ignored).not.toContain(src);
      }
    }
  });

  test('the runtime stage holds what the commands need: `librarian setup` runs from its files alone', () => {
    if (!existsSync(path.join(ROOT, 'dist/workflow-bundle.js'))) throw new Error('Build first: npm run build (npm test does).');
    const copies = stages()[1]!.lines.filter((l) => /^COPY --from=build /.test(l));
    const app = tmp('deploy-image-');
    for (const line of copies) {
      const parts = line.replace(/^COPY --from=build\s+/, '').split(/\s+/);
      const dest = parts.pop()!;
      for (const src of parts) {
        const rel = path.relative('/app', src);
        // node_modules: the repository's (the image's is the same, pruned to production).
        if (rel === 'node_modules') {
          symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
          continue;
        }
        const target = dest.endsWith('/') ? path.join(app, dest, path.basename(rel)) : path.join(app, dest);
        mkdirSync(path.dirname(target), { recursive: true });
        cpSync(path.join(ROOT, rel), target, { recursive: true });
      }
    }
    expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'node_modules', 'oclif.manifest.json', 'package.json', 'prisma']);

    const work = tmp('deploy-setup-');
    const config = path.join(work, 'librarian.yaml');
    writeFileSync(
      config,
      YAML.stringify({ name: 'image-test', dataDir: path.join(work, 'data'), stores: [{ name: 'main', stagingPath: path.join(work, 'data/staging/main'), storePath: path.join(work, 'data/stores/main') }] }),
    );
    writeFileSync(path.join(work, 'admin-password'), 'a-long-password\n');
    // (SQLite here, for speed: setup does not create the data directory the catalog file goes in.)
    mkdirSync(path.join(work, 'data'));
    const librarian = (args: string[]) =>
      spawnSync(process.execPath, [path.join(app, 'bin/run.js'), ...args], { cwd: work, encoding: 'utf8', env: { ...cleanEnv(), LIBRARIAN_CONFIG: config } });
    const r = librarian(['setup', '--admin-password-file', path.join(work, 'admin-password'), '--no-temporal']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('migrations applied now: 2026');
    expect(r.stdout).toContain('Created ADMIN user "admin"');
    expect(existsSync(path.join(work, 'data/stores/main'))).toBe(true);
    for (const cmd of [['server', 'start'], ['worker', 'start']]) {
      const h = librarian([...cmd, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`librarian ${cmd.join(' ')}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('monitoring: Grafana dashboard and Prometheus', () => {
  /** Metric names the code registers (prom-client), and which are histograms. */
  function definedMetrics(): { names: Set<string>; histograms: Set<string> } {
    const names = new Set<string>();
    const histograms = new Set<string>();
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'generated') walk(p);
        } else if (e.name.endsWith('.ts')) {
          const src = readFileSync(p, 'utf8');
          for (const m of src.matchAll(/(?:name:\s*|gauge\(\s*)'(librarian_[a-z0-9_]+)'/g)) names.add(m[1]!);
          for (const m of src.matchAll(/Histogram\(\{\s*name:\s*'(librarian_[a-z0-9_]+)'/g)) histograms.add(m[1]!);
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    return { names, histograms };
  }
  function unknownMetrics(expr: string, defined: ReturnType<typeof definedMetrics>): string[] {
    return [...expr.matchAll(/\blibrarian_[a-z0-9_]+/g)]
      .map((m) => m[0])
      .filter((n) => !defined.names.has(n) && ![...defined.histograms].some((h) => ['_bucket', '_sum', '_count'].some((s) => n === h + s)));
  }

  test('the code defines the metrics the dashboard is built on', () => {
    const { names } = definedMetrics();
    for (const n of ['librarian_up', 'librarian_store_free_bytes', 'librarian_peer_files_waiting', 'librarian_http_request_duration_seconds', 'librarian_login_checks']) {
      expect(names).toContain(n);
    }
  });

  test('every dashboard panel has a query, and queries use only metrics the code defines', () => {
    const defined = definedMetrics();
    const dash = JSON.parse(readFileSync(path.join(DEPLOY, 'grafana/librarian-dashboard.json'), 'utf8'));
    const panels = (dash.panels as Obj[]).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
    expect(panels.length).toBeGreaterThanOrEqual(10);
    const used = new Set<string>();
    for (const p of panels) {
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets as Obj[]) {
        expect(typeof t.expr).toBe('string');
        expect(t.expr).toMatch(/librarian_/);
        expect(unknownMetrics(t.expr, defined)).toEqual([]);
        for (const m of t.expr.matchAll(/\blibrarian_[a-z0-9_]+/g)) used.add(m[0]);
      }
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    // Unique panel ids and a datasource variable to choose the Prometheus.
    const ids = (dash.panels as Obj[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dash.templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
    expect(used.size).toBeGreaterThanOrEqual(15);
  });

  test('Prometheus: bearer token from a file, alert rules on defined metrics, targets are the API instances', () => {
    const defined = definedMetrics();
    const prom = YAML.parse(readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8'));
    const job = prom.scrape_configs.find((j: Obj) => j.job_name === 'librarian-api');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: expect.stringMatching(/^\//) });
    const targets: string[] = job.static_configs.flatMap((c: Obj) => c.targets);
    expect(targets).toEqual(['127.0.0.1:8081', '127.0.0.1:8082']);
    for (const rulesFile of prom.rule_files) {
      const rules = YAML.parse(readFileSync(path.join(DEPLOY, 'prometheus', rulesFile), 'utf8'));
      for (const r of rules.groups.flatMap((g: Obj) => g.rules)) {
        expect(r.alert).toMatch(/^Librarian/);
        expect(unknownMetrics(r.expr, defined)).toEqual([]);
      }
    }
    // nginx balances over the same API processes.
    const nginx = readFileSync(path.join(DEPLOY, 'nginx/librarian.conf'), 'utf8');
    expect([...nginx.matchAll(/^\s*server (127\.0\.0\.1:\d+)/gm)].map((m) => m[1])).toEqual(targets);
  });
});

// ---------------------------------------------------------------------------------------------
describe('reverse proxies deploy/nginx', () => {
  test('TLS, streamed unlimited uploads, long timeouts, X-Forwarded-For', () => {
    const conf = readFileSync(path.join(DEPLOY, 'nginx/librarian.conf'), 'utf8');
    for (const directive of [
      /listen 443 ssl( http2)?;/,
      /ssl_certificate\s+\S+;/,
      /client_max_body_size 0;/,
      /proxy_request_buffering off;/,
      /proxy_read_timeout \d{4,}s;/,
      /proxy_send_timeout \d{4,}s;/,
      /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/,
      /proxy_set_header X-Forwarded-Proto \$scheme;/,
      /proxy_pass http:\/\/librarian_api;/,
    ]) {
      expect(conf).toMatch(directive);
    }
    expect(conf.split('{').length).toBe(conf.split('}').length);
  });

  const haveNginx = spawnSync('nginx', ['-v']).status === 0 && spawnSync('openssl', ['version']).status === 0;
  (haveNginx ? test : test.skip)('nginx -t accepts librarian.conf (where nginx is installed)', () => {
    const d = tmp('deploy-nginx-');
    const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=librarian.example.org', '-days', '1', '-keyout', path.join(d, 'privkey.pem'), '-out', path.join(d, 'fullchain.pem')]);
    expect(cert.status).toBe(0);
    const conf = readFileSync(path.join(DEPLOY, 'nginx/librarian.conf'), 'utf8').split('/etc/letsencrypt/live/librarian.example.org').join(d);
    writeFileSync(path.join(d, 'librarian.conf'), conf);
    writeFileSync(path.join(d, 'nginx.conf'), `pid ${d}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { access_log off; include ${d}/librarian.conf; }\n`);
    const r = spawnSync('nginx', ['-t', '-c', path.join(d, 'nginx.conf'), '-p', d], { encoding: 'utf8' });
    expect(r.stderr).toContain('test is successful');
    expect(r.status).toBe(0);
  });

  const haveCaddy = spawnSync('caddy', ['version']).status === 0;
  (haveCaddy ? test : test.skip)('caddy validate accepts the Caddyfile (where caddy is installed)', () => {
    const home = tmp('deploy-caddy-');
    const r = spawnSync('caddy', ['validate', '--adapter', 'caddyfile', '--config', path.join(DEPLOY, 'nginx/Caddyfile')], {
      encoding: 'utf8',
      env: { ...cleanEnv(), HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
      timeout: 60_000,
    });
    expect(r.stdout + r.stderr).toContain('Valid configuration');
    expect(r.status).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('systemd units deploy/systemd', () => {
  const dir = path.join(DEPLOY, 'systemd');
  function unit(name: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
    }
    return out;
  }
  const first = (u: Map<string, string[]>, k: string) => u.get(k)?.[0];
  const seconds = (v: string | undefined) => {
    const m = /^(\d+)(s|min)?$/.exec(v ?? '');
    return m ? Number(m[1]) * (m[2] === 'min' ? 60 : 1) : NaN;
  };

  test('commands, restarts, stop timeouts, environment and hardening', () => {
    const api = unit('librarian-api@.service');
    const worker = unit('librarian-worker@.service');
    const setup = unit('librarian-setup.service');
    expect(first(api, 'ExecStart')).toMatch(/\/librarian server start$/);
    expect(first(worker, 'ExecStart')).toMatch(/\/librarian worker start$/);
    expect(first(setup, 'ExecStart')).toMatch(/\/librarian setup --admin-password-file \/\S+$/);
    expect(first(setup, 'Type')).toBe('oneshot');
    expect(api.get('Environment')).toContain('LIBRARIAN_API__PORT=%i');
    expect(worker.get('Environment')).toContain('LIBRARIAN_WORKER__HEALTH_PORT=%i');
    for (const u of [api, worker]) {
      expect(first(u, 'Restart')).toBe('on-failure');
      expect(seconds(first(u, 'TimeoutStopSec'))).toBeGreaterThanOrEqual(45);
      expect(first(u, 'WantedBy')).toBe('librarian.target');
    }
    for (const u of [api, worker, setup]) {
      expect(u.get('Environment')).toContain('LIBRARIAN_CONFIG=/etc/librarian/librarian.yaml');
      expect(first(u, 'EnvironmentFile')).toMatch(/^-\/etc\/librarian\//);
      expect(first(u, 'User')).toBe('librarian');
      for (const [k, v] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', PrivateTmp: 'yes', ProtectHome: 'yes', PrivateDevices: 'yes', RestrictSUIDSGID: 'yes' })) {
        expect([k, first(u, k)]).toEqual([k, v]);
      }
      expect(first(u, 'ReadWritePaths')).toBeTruthy();
      expect(first(u, 'CapabilityBoundingSet')).toBe('');
      // V8's JIT needs writable executable memory.
      expect(u.has('MemoryDenyWriteExecute')).toBe(false);
    }
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  (analyze.status === 0 ? test : test.skip)('systemd-analyze verify accepts the units (instances of the templates included)', () => {
    // verify checks that ExecStart's program exists: point it at a stand-in.
    const d = tmp('deploy-systemd-');
    const stub = path.join(d, 'librarian');
    writeFileSync(stub, '#!/bin/sh\n', { mode: 0o755 });
    for (const f of readdirSync(dir)) {
      writeFileSync(path.join(d, f), readFileSync(path.join(dir, f), 'utf8').split('/usr/local/bin/librarian').join(stub));
    }
    symlinkSync('librarian-api@.service', path.join(d, 'librarian-api@8081.service'));
    symlinkSync('librarian-worker@.service', path.join(d, 'librarian-worker@9091.service'));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...['librarian-api@8081.service', 'librarian-worker@9091.service', 'librarian-setup.service', 'librarian.target'].map((f) => path.join(d, f))], {
      encoding: 'utf8',
      cwd: d,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  (analyze.status === 0 ? test : test.skip)('systemd-analyze verify accepts the Temporal server unit (deploy/temporal)', () => {
    const d = tmp('deploy-temporal-unit-');
    const stub = path.join(d, 'temporal-server');
    writeFileSync(stub, '#!/bin/sh\n', { mode: 0o755 });
    const text = readFileSync(path.join(DEPLOY, 'temporal/temporal-server.service'), 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/local\/bin\/temporal-server --root \/ --config \/etc\/temporal\/config --env production --allow-no-auth start$/m);
    writeFileSync(path.join(d, 'temporal-server.service'), text.split('/usr/local/bin/temporal-server').join(stub));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(d, 'temporal-server.service')], { encoding: 'utf8', cwd: d });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Temporal server without containers deploy/temporal', () => {
  test('the environment example sets what the configuration template reads, and nothing else', () => {
    const template = readFileSync(path.join(DEPLOY, 'temporal/config/production.yaml'), 'utf8');
    const read = new Set([...template.matchAll(/env "(TEMPORAL_[A-Z_]+)"/g)].map((m) => m[1]!));
    const example = readFileSync(path.join(DEPLOY, 'temporal/temporal.env.example'), 'utf8');
    const set = [...example.matchAll(/^#? ?(TEMPORAL_[A-Z_]+)=/gm)].map((m) => m[1]!);
    expect(set.filter((v) => !read.has(v))).toEqual([]);
    // And the template documents every variable it reads at its top.
    const header = template.slice(0, template.indexOf('\nlog:'));
    expect([...read].filter((v) => !header.includes(v))).toEqual([]);
  });
});
