/** Run tasks with at most `limit` at once; results keep the tasks' order. */
export async function pool<T>(
  tasks: Array<() => Promise<T>>,
  limit: number,
  each?: (r: T) => void,
): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      const task = tasks[i];
      if (!task) continue;
      results[i] = await task();
      each?.(results[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return results;
}
