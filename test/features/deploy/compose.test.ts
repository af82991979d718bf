// docker-compose.yml, traefik/ and .env.example are read as a sysadmin's Docker would read them,
// and checked for what the deployment promises: TLS from Let's Encrypt with a persistent ACME
// store, HTTP→HTTPS, HSTS, no port of the app's own, its data volume, health checks, restarts,
// and every setting documented.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../../../src/config.js';
import { projectRoot } from '../../../src/paths.js';

type Doc = Record<string, unknown>;

function read(file: string): string {
  return fs.readFileSync(path.join(projectRoot, file), 'utf8');
}

function yamlOf(file: string): Doc {
  return parse(read(file)) as Doc;
}

/** A nested value by path; fails the test with the path when a level is missing. */
function at(doc: unknown, ...keys: string[]): unknown {
  let value = doc;
  for (const [i, key] of keys.entries()) {
    expect(value, `${keys.slice(0, i).join('.') || 'document'} is an object`).to.be.an('object');
    value = (value as Doc)[key];
  }
  return value;
}

describe('deployment files', () => {
  const compose = yamlOf('docker-compose.yml');
  const traefik = yamlOf('traefik/traefik.yml');
  const dynamic = yamlOf('traefik/dynamic/qanat.yml');
  const services = at(compose, 'services') as Doc;

  it('docker-compose.yml runs exactly Traefik v3 and Qanat, both restart unless stopped', () => {
    expect(Object.keys(services).sort()).to.deep.equal(['qanat', 'traefik']);
    expect(String(at(services, 'traefik', 'image'))).to.match(/^traefik:v3(\.\d+)*$/);
    expect(at(services, 'qanat', 'build')).to.equal('.');
    for (const name of ['traefik', 'qanat']) expect(at(services, name, 'restart'), name).to.equal('unless-stopped');
  });

  it('only Traefik publishes ports (80 and 443); the app publishes none and shares a network with Traefik', () => {
    expect(at(services, 'traefik', 'ports')).to.deep.equal(['80:80', '443:443']);
    expect(at(services, 'qanat', 'ports'), 'qanat publishes no port').to.equal(undefined);
    expect(at(services, 'qanat', 'network_mode'), 'qanat does not use the host network').to.equal(undefined);
    const shared = (at(services, 'qanat', 'networks') as string[]).filter((n) => (at(services, 'traefik', 'networks') as string[]).includes(n));
    expect(shared.length).to.be.greaterThan(0);
  });

  it('the data lives in a named volume at /app/data, and the ACME store in its own volume mounted where Traefik keeps acme.json', () => {
    const volumes = at(compose, 'volumes') as Doc;
    expect(at(services, 'qanat', 'volumes')).to.include('qanat-data:/app/data');
    expect(volumes).to.have.property('qanat-data');
    const storage = String(at(traefik, 'certificatesResolvers', 'letsencrypt', 'acme', 'storage'));
    const acmeMount = (at(services, 'traefik', 'volumes') as string[]).find((v) => storage.startsWith(`${v.split(':')[1] ?? '?'}/`));
    expect(acmeMount, `a volume holds ${storage}`).to.be.a('string');
    const volumeName = String(acmeMount).split(':')[0] ?? '';
    expect(volumes, 'the ACME store is a named volume (not a path inside the container)').to.have.property(volumeName);
  });

  it('both containers have a health check; the app is checked on /healthz; Traefik reads its configuration files read-only and has no Docker socket', () => {
    expect(JSON.stringify(at(services, 'qanat', 'healthcheck', 'test'))).to.contain('/healthz');
    expect(at(services, 'traefik', 'healthcheck', 'test')).to.be.an('array');
    const mounts = at(services, 'traefik', 'volumes') as string[];
    expect(mounts.filter((m) => m.startsWith('./traefik/')).every((m) => m.endsWith(':ro'))).to.equal(true);
    expect(mounts.some((m) => m.includes('docker.sock'))).to.equal(false);
    expect(read('Dockerfile')).to.match(/^HEALTHCHECK .*\n?.*\/healthz/m);
  });

  it('the app runs in production behind exactly one proxy, with PUBLIC_URL on https from the domain', () => {
    const env = at(services, 'qanat', 'environment') as Doc;
    expect(env['NODE_ENV']).to.equal('production');
    expect(String(env['TRUST_PROXY_HOPS'])).to.equal('1');
    expect(String(env['PUBLIC_URL'])).to.match(/^https:\/\/\$\{QANAT_DOMAIN/);
    expect(at(services, 'traefik', 'environment', 'QANAT_DOMAIN')).to.match(/^\$\{QANAT_DOMAIN/);
  });

  it('Traefik: a Let\'s Encrypt resolver (TLS-ALPN or HTTP-01), port 80 redirects permanently to HTTPS, and the HTTPS entry point uses the resolver', () => {
    const acme = at(traefik, 'certificatesResolvers', 'letsencrypt', 'acme') as Doc;
    expect(acme['tlsChallenge'] !== undefined || acme['httpChallenge'] !== undefined, 'a challenge is configured').to.equal(true);
    expect(acme['caServer'], 'the production Let\'s Encrypt CA (the default)').to.equal(undefined);
    expect(at(traefik, 'entryPoints', 'web', 'address')).to.equal(':80');
    expect(at(traefik, 'entryPoints', 'websecure', 'address')).to.equal(':443');
    const redirect = at(traefik, 'entryPoints', 'web', 'http', 'redirections', 'entryPoint') as Doc;
    expect(redirect).to.include({ to: 'websecure', scheme: 'https', permanent: true });
    expect(at(traefik, 'entryPoints', 'websecure', 'http', 'tls', 'certResolver')).to.equal('letsencrypt');
    expect(at(traefik, 'providers', 'file', 'directory')).to.equal('/etc/traefik/dynamic');
    expect(at(traefik, 'providers', 'docker'), 'no Docker provider (it would need the socket)').to.equal(undefined);
    // Qanat's own request log is redacted and kept at most 30 days; Traefik keeps no second one.
    expect(traefik['accessLog'], 'no Traefik access log').to.equal(undefined);
  });

  it('every router serves the domain over TLS with HSTS and security headers; uploads have a body limit that fits a video, other posts a small one', () => {
    const routers = at(dynamic, 'http', 'routers') as Record<string, Doc>;
    const middlewares = at(dynamic, 'http', 'middlewares') as Record<string, Doc>;
    expect(Object.keys(routers).length).to.be.greaterThan(0);
    for (const [name, router] of Object.entries(routers)) {
      expect(String(router['rule']), name).to.contain('Host(`{{ env "QANAT_DOMAIN" }}`)');
      expect(router['entryPoints'], name).to.deep.equal(['websecure']);
      expect(at(router, 'tls', 'certResolver'), name).to.equal('letsencrypt');
      expect(router['middlewares'], name).to.include('security-headers');
      expect(router['service'], name).to.equal('qanat');
    }
    const headers = at(middlewares, 'security-headers', 'headers') as Doc;
    expect(Number(headers['stsSeconds'])).to.be.at.least(31_536_000);
    expect(headers['stsIncludeSubdomains']).to.equal(true);
    expect(headers['contentTypeNosniff']).to.equal(true);
    expect(headers['frameDeny']).to.equal(true);

    const uploadLimit = Number(at(middlewares, 'upload-limit', 'buffering', 'maxRequestBodyBytes'));
    expect(uploadLimit, 'fits UPLOAD_MAX_VIDEO_MB (1024 MB) plus the form').to.be.greaterThan(1024 * 1024 * 1024);
    expect(routers['qanat-upload']?.['middlewares']).to.include('upload-limit');
    expect(String(routers['qanat-upload']?.['rule'])).to.contain('Path(`/compose`)');
    const bodyLimit = Number(at(middlewares, 'body-limit', 'buffering', 'maxRequestBodyBytes'));
    expect(bodyLimit).to.be.within(4 * 1024 * 1024, 16 * 1024 * 1024);
    expect(routers['qanat-post']?.['middlewares']).to.include('body-limit');
    // Priorities: the upload router wins over the other posts, which win over the catch-all.
    expect(Number(routers['qanat-upload']?.['priority'])).to.be.greaterThan(Number(routers['qanat-post']?.['priority']));
    expect(Number(routers['qanat-post']?.['priority'])).to.be.greaterThan(Number(routers['qanat']?.['priority']));
  });

  it('compression is on and never touches the inbox event stream; the app is reached on its port 3000', () => {
    const excluded = at(dynamic, 'http', 'middlewares', 'compress', 'compress', 'excludedContentTypes') as string[];
    expect(excluded).to.include('text/event-stream');
    expect(at(dynamic, 'http', 'services', 'qanat', 'loadBalancer', 'servers')).to.deep.equal([{ url: 'http://qanat:3000' }]);
    // Large uploads must not hit Traefik's default 60 s read timeout.
    expect(String(at(traefik, 'entryPoints', 'websecure', 'transport', 'respondingTimeouts', 'readTimeout'))).to.match(/^\d+m$/);
  });

  it('.env.example documents every variable the app reads, and the ones compose needs', () => {
    const example = read('.env.example');
    const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = ENV_VARIABLES.filter((name) => !named.has(name));
    expect(missing, 'variables missing from .env.example').to.deep.equal([]);
    for (const name of ['QANAT_DOMAIN', 'QANAT_DATA_KEY', 'QANAT_BACKUP_KEY', 'SESSION_SECRET']) expect(example).to.match(new RegExp(`^${name}=`, 'm'));
    // Variables compose interpolates must exist in .env.example too.
    const interpolated = [...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
    for (const name of interpolated) expect(named.has(name), `${String(name)} is in .env.example`).to.equal(true);
  });

  it('the image runs as the node user with tini as PID 1, data at /app/data, on Node 24 LTS', () => {
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(stages.at(-1)).to.match(/^node:24-(bookworm|trixie)-slim$/);
    expect(dockerfile).to.match(/^USER node$/m);
    expect(dockerfile).to.match(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).to.match(/^VOLUME \["\/app\/data"\]$/m);
    expect(dockerfile).to.contain('ffmpeg');
  });
});
