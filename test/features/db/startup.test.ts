import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { generateKeyText } from '../../../src/db/crypto.js';
import { tempDir } from '../../support/app.js';
import { baseEnv, runCli } from '../../support/process.js';

// The CLI boots exactly like the server (config → database → migrations → key check) and exits,
// which makes it the quickest real process to test start-up refusals with.
describe('start-up with encrypted data', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates a key into data/ on first local run and says so in the log', () => {
    const result = runCli(['job:list'], baseEnv(dir));
    expect(result.status).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'qanat.key'))).to.equal(true);
    expect((fs.statSync(path.join(dir, 'qanat.key')).mode & 0o777).toString(8)).to.equal('600');
    expect(result.stdout).to.contain('generated a new data encryption key');
  });

  it('refuses to start with a clear message when the key is wrong', () => {
    const key = generateKeyText();
    expect(runCli(['job:list'], baseEnv(dir, { QANAT_DATA_KEY: key })).status).to.equal(0);
    const result = runCli(['job:list'], baseEnv(dir, { QANAT_DATA_KEY: generateKeyText() }));
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('does not match the key this database was encrypted with');
  });

  it('refuses to start when encrypted data exists and the key is missing', () => {
    expect(runCli(['job:list'], baseEnv(dir)).status).to.equal(0);
    fs.rmSync(path.join(dir, 'qanat.key'));
    const result = runCli(['job:list'], baseEnv(dir));
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('holds encrypted data but no key was given');
    expect(fs.existsSync(path.join(dir, 'qanat.key'))).to.equal(false);
  });

  it('starts again with the original key', () => {
    const key = generateKeyText();
    expect(runCli(['job:list'], baseEnv(dir, { QANAT_DATA_KEY: key })).status).to.equal(0);
    expect(runCli(['job:list'], baseEnv(dir, { QANAT_DATA_KEY: key })).status).to.equal(0);
  });
});
