/**
 * Reads `const <name> : i32 = <n>;` from a WGSL fragment, so a program's `workgroupSize` (which the backend
 * writes into `@workgroup_size`) can never drift from the size the shader's shared-memory arrays assume.
 */
export function workgroupConstant(source: string, name: string): number {
  const match = new RegExp(`const\\s+${name}\\s*:\\s*i32\\s*=\\s*(\\d+)\\s*;`).exec(source);
  if (!match) throw new Error(`WGSL source does not declare const ${name} : i32`);
  return Number(match[1]);
}
