import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { tempDir } from '../../support/app.js';
import { runMain, baseEnv } from '../../support/process.js';

describe('configuration', () => {
  it('has defaults for local use: port 3000, data in ./data, PUBLIC_URL http://localhost:3000', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.dataDir).to.match(/[/\\]data$/);
    expect(config.publicUrl).to.equal('http://localhost:3000');
    expect(config.secureCookies).to.equal(false);
    expect(config.session).to.deep.equal({ idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 });
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('lists every problem in one error', () => {
    try {
      loadConfig({ PORT: 'abc', PUBLIC_URL: 'nonsense', SESSION_IDLE_MINUTES: '-3' });
      expect.fail('loadConfig accepted invalid values');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).to.contain('PORT');
      expect(problems).to.contain('PUBLIC_URL');
      expect(problems).to.contain('SESSION_IDLE_MINUTES');
    }
  });

  it('reads secrets from *_FILE variables and refuses both forms at once', () => {
    const dir = tempDir();
    const file = path.join(dir, 'key');
    fs.writeFileSync(file, 'ab'.repeat(32) + '\n');
    expect(loadConfig({ QANAT_DATA_KEY_FILE: file }).dataKey).to.equal('ab'.repeat(32));
    expect(() => loadConfig({ QANAT_DATA_KEY_FILE: file, QANAT_DATA_KEY: 'x' })).to.throw(ConfigError, /both set/);
    expect(() => loadConfig({ SESSION_SECRET_FILE: path.join(dir, 'missing') })).to.throw(ConfigError, /cannot read/);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses argon2 parameters below the security minimum', () => {
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '1024' })).to.throw(ConfigError, /ARGON2_MEMORY_KIB/);
  });

  it('treats an https PUBLIC_URL as production cookies', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://qanat.example.com/' }).secureCookies).to.equal(true);
    expect(loadConfig({ PUBLIC_URL: 'https://qanat.example.com/' }).publicUrl).to.equal('https://qanat.example.com');
  });

  it('the server exits non-zero with one message naming PORT and PUBLIC_URL when both are invalid', function () {
    this.timeout(60_000);
    const dir = tempDir();
    const result = runMain(baseEnv(dir, { PORT: 'abc', PUBLIC_URL: 'nonsense' }));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.contain('Invalid configuration');
    expect(result.stderr).to.contain('PORT');
    expect(result.stderr).to.contain('PUBLIC_URL');
    expect(result.stderr.match(/Invalid configuration/g)).to.have.length(1);
    expect(result.stderr).not.to.match(/\n\s+at /);
  });
});
