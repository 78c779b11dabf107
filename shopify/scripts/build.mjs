// Bundles every UI extension target's module (as each shopify.extension.toml names it) with esbuild, into
// dist/<handle>/<module>.js: ES modules whose default export renders the target, which the Shopify emulator's
// stand-in pages load. `shopify app build` bundles them again for Shopify; offline it does not check targets,
// so this does: each target must be one @shopify/ui-extensions types, a full page the only target of its
// extension (Shopify refuses it beside others at deploy), and the extension's shopify.d.ts must type the
// module's `shopify` global as that target's (which the type-check then holds the code to).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extensions = join(root, 'extensions');
const entries = {};
for (const handle of await readdir(extensions)) {
  const toml = await readFile(join(extensions, handle, 'shopify.extension.toml'), 'utf8').catch(() => '');
  if (!/type = "ui_extension"/.test(toml)) continue;
  const typed = await readFile(join(extensions, handle, 'shopify.d.ts'), 'utf8').catch(() => '');
  const targeting = [...toml.matchAll(/^target = "(.+)"\nmodule = "\.\/(.+)"$/gm)];
  const fullPage = targeting.find(([, target]) => /^customer-account\.(order\.)?page\.render$/.test(target));
  if (fullPage && targeting.length > 1) throw new Error(`${handle}: the full page ${fullPage[1]} must be alone in its extension`);
  for (const [, target, module] of targeting) {
    const surfaces = join(root, 'node_modules/@shopify/ui-extensions/build/ts/surfaces');
    const known = ['checkout', 'customer-account'].some((s) => existsSync(join(surfaces, s, 'targets', `${target}.d.ts`)));
    if (!known) throw new Error(`${handle}: ${target} is not a UI extension target of @shopify/ui-extensions`);
    const declared = new RegExp(`declare module '\\./${module}' \\{\\s+const shopify: import\\('@shopify/ui-extensions/${target}'\\)`);
    if (!declared.test(typed)) throw new Error(`${handle}: shopify.d.ts does not type ./${module} as ${target}`);
    entries[`${handle}/${basename(module).replace(/\.tsx?$/, '')}`] = join(extensions, handle, module);
  }
}
await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: join(root, 'dist'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
console.log(`extensions: bundled ${Object.keys(entries).length} targets into shopify/dist`);
