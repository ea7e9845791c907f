/**
 * Our server as a replicated cluster: every cluster scenario and the
 * linearizability checks, the same ones real etcd passes (real-etcd.test.ts).
 */
import { registerClusterScenarios } from "./scenarios/cluster-scenarios.js";
import { registerLinearizabilityScenarios } from "./scenarios/linearizability-scenarios.js";

registerClusterScenarios("ours", { snapshotEvidence: /applied a snapshot from the leader/ });
registerLinearizabilityScenarios("ours");
