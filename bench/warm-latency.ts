export async function run(_a: string[]) {}
