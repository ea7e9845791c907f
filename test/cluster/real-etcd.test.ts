/**
 * The cluster tooling proven on the reference: every cluster scenario and
 * the linearizability check against 3- and 5-member clusters of Debian's
 * real etcd 3.4.23.
 */
import { registerClusterScenarios } from "./scenarios/cluster-scenarios.js";
import { registerLinearizabilityScenarios } from "./scenarios/linearizability-scenarios.js";

registerClusterScenarios("real", { snapshotEvidence: /starts to restore snapshot/ });
registerLinearizabilityScenarios("real");
