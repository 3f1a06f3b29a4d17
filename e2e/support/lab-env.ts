/**
 * The lab as the tests see it: e2e/lab/with-lab.sh exports the lab's env file and runs the tests
 * inside the lab's workstation namespace. Without it the lab tests fail (never skip): a lab that
 * cannot start is a failure of `make test`.
 */
export interface LabEnv {
  id: string;
  dir: string;
  registry: string;
  configDir: string;
  stateDir: string;
  buildKey: string;
  vm: string;
  port: number;
}

export function labEnv(): LabEnv {
  const required = [
    'BM_LAB_ID',
    'BM_LAB_DIR',
    'BM_REGISTRY',
    'BM_CONFIG_DIR',
    'BM_STATE_DIR',
    'BM_BUILD_KEY',
  ] as const;
  const missing = required.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `lab tests need the lab (missing ${missing.join(', ')}); run them with ` +
        '`make lab-test` (root), which starts the lab and runs them inside it',
    );
  }
  return {
    id: process.env.BM_LAB_ID!,
    dir: process.env.BM_LAB_DIR!,
    registry: process.env.BM_REGISTRY!,
    configDir: process.env.BM_CONFIG_DIR!,
    stateDir: process.env.BM_STATE_DIR!,
    buildKey: process.env.BM_BUILD_KEY!,
    vm: 'lab-vm1',
    port: 12222,
  };
}
