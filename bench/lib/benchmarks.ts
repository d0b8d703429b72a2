// Every benchmark `npm run bench` knows, in the order they run. To add one, write a module that
// exports a Benchmark (see startup.ts) and list it here.

import {agentDeploy} from './agent-deploy.ts';
import {agentMemory} from './agent-memory.ts';
import {agentStatus} from './agent-status.ts';
import {rolloutUpgrade} from './rollout-upgrade.ts';
import {cliDeploy} from './cli-deploy.ts';
import {cliLogs} from './cli-logs.ts';
import {cliPs} from './cli-ps.ts';
import {dashboardLogs} from './dashboard-logs.ts';
import {dashboardPages} from './dashboard.ts';
import {editLoop} from './edit-loop.ts';
import {ship} from './ship.ts';
import {startup} from './startup.ts';
import {swarmDeploy} from './swarm-deploy.ts';
import {swarmUpgrade} from './swarm-upgrade.ts';
import type {Benchmark} from './types.ts';
import {validateConfig} from './validate-config.ts';

export const benchmarks: readonly Benchmark[] = [startup, validateConfig, agentDeploy, agentStatus, agentMemory, cliDeploy, cliPs, cliLogs, ship, editLoop, rolloutUpgrade, dashboardPages, dashboardLogs, swarmDeploy, swarmUpgrade];
