/**
 * Keeps the layering rules of eslint.config.js honest: each forbidden import must be reported, and the
 * allowed ones must not be. If someone loosens a rule by accident, this fails.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<boolean> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
}

const cases: Array<{ file: string; code: string; forbidden: boolean }> = [
  { file: 'packages/api/src/x.ts', code: "import { AuthServer } from '../../teleport/src/auth/authServer.ts';\nexport const x = AuthServer;\n", forbidden: true },
  { file: 'packages/api/src/x.ts', code: "import { x } from '@teleport-ts/teleport/auth/authServer';\nexport const y = x;\n", forbidden: true },
  { file: 'packages/teleport/src/client/x.ts', code: "import { AuthServer } from '../auth/authServer.ts';\nexport const x = AuthServer;\n", forbidden: true },
  { file: 'packages/teleport/src/client/x.ts', code: "import { Keyring } from '../auth/keyring.ts';\nexport const x = Keyring;\n", forbidden: true },
  { file: 'packages/teleport/src/tool/tsh/x.ts', code: "import { MemoryBackend } from '../../backend/memory.ts';\nexport const x = MemoryBackend;\n", forbidden: true },
  { file: 'packages/teleport/src/tool/tsh/x.ts', code: "import { x } from '@teleport-ts/teleport/auth/authServer';\nexport const y = x;\n", forbidden: true },
  { file: 'packages/teleport/src/tool/tsh/x.ts', code: "import { KeyStore } from '../../client/keyStore.ts';\nexport const x = KeyStore;\n", forbidden: false },
  { file: 'packages/teleport/src/tool/tsh/x.test.ts', code: "import { MemoryBackend } from '../../backend/memory.ts';\nexport const x = MemoryBackend;\n", forbidden: false },
  { file: 'packages/teleport/src/auth/x.ts', code: "import { MemoryBackend } from '../backend/memory.ts';\nexport const x = MemoryBackend;\n", forbidden: false },
];

describe('layering lint rules', () => {
  for (const c of cases) {
    it(`${c.forbidden ? 'forbids' : 'allows'} ${c.code.split('\n')[0]} in ${c.file}`, async () => {
      assert.equal(await restricted(c.file, c.code), c.forbidden);
    });
  }
});
