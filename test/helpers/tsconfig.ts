import { readFileSync } from 'node:fs';
import ts from 'typescript';

export interface ResolvedTsconfig {
  compilerOptions: Record<string, unknown> & { outDir?: string; rootDir?: string };
  include: string[];
}

/** Reads a tsconfig (comments allowed) and merges what it `extends`, as tsc does for these keys. */
export function readTsconfig(path: string): ResolvedTsconfig {
  const parsed = ts.parseConfigFileTextToJson(path, readFileSync(path, 'utf8'));
  if (parsed.error) throw new Error(`${path}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
  const own = parsed.config as { extends?: string; compilerOptions?: Record<string, unknown>; include?: string[] };
  const base: ResolvedTsconfig = own.extends ? readTsconfig(own.extends) : { compilerOptions: {}, include: [] };
  return {
    compilerOptions: { ...base.compilerOptions, ...own.compilerOptions },
    include: own.include ?? base.include,
  };
}
