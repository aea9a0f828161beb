// The fault suite runs Herald's production build: built once, before any test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_DIR } from '../../support/server-process.ts';

export default async function setup() {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: PROJECT_DIR });
}
