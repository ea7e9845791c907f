/**
 * The gateway's route table: HTTP path (always POST) → gRPC method, as
 * etcd's `google.api.http` annotations bind them (newest etcd: HashKV on
 * /v3/maintenance/hashkv, where 3.4 shadowed it behind Hash). Request and
 * response types and streaming come from the proto schema, so a service
 * that lands later needs only its lines here; a line whose rpc is not in
 * the schema is skipped with a warning.
 * @module
 */

export interface GatewayRoute {
  readonly path: string;
  /** `package.Service/Method`. */
  readonly rpc: string;
}

function service(prefix: string, rpcService: string, methods: Record<string, string>): GatewayRoute[] {
  return Object.entries(methods).map(([path, method]) => ({ path: `${prefix}${path}`, rpc: `${rpcService}/${method}` }));
}

export const GATEWAY_ROUTES: readonly GatewayRoute[] = [
  ...service("/v3/kv/", "etcdserverpb.KV", {
    range: "Range",
    put: "Put",
    deleterange: "DeleteRange",
    txn: "Txn",
    compaction: "Compact",
  }),
  { path: "/v3/watch", rpc: "etcdserverpb.Watch/Watch" },
  ...service("/v3/lease/", "etcdserverpb.Lease", {
    grant: "LeaseGrant",
    revoke: "LeaseRevoke",
    keepalive: "LeaseKeepAlive",
    timetolive: "LeaseTimeToLive",
    leases: "LeaseLeases",
  }),
  // Bindings kept from etcd 3.2 for old clients.
  ...service("/v3/kv/lease/", "etcdserverpb.Lease", {
    revoke: "LeaseRevoke",
    timetolive: "LeaseTimeToLive",
    leases: "LeaseLeases",
  }),
  ...service("/v3/cluster/member/", "etcdserverpb.Cluster", {
    add: "MemberAdd",
    remove: "MemberRemove",
    update: "MemberUpdate",
    list: "MemberList",
    promote: "MemberPromote",
  }),
  ...service("/v3/maintenance/", "etcdserverpb.Maintenance", {
    alarm: "Alarm",
    status: "Status",
    defragment: "Defragment",
    hash: "Hash",
    hashkv: "HashKV",
    snapshot: "Snapshot",
    "transfer-leadership": "MoveLeader",
    downgrade: "Downgrade",
  }),
  ...service("/v3/auth/", "etcdserverpb.Auth", {
    enable: "AuthEnable",
    disable: "AuthDisable",
    status: "AuthStatus",
    authenticate: "Authenticate",
    "user/add": "UserAdd",
    "user/get": "UserGet",
    "user/list": "UserList",
    "user/delete": "UserDelete",
    "user/changepw": "UserChangePassword",
    "user/grant": "UserGrantRole",
    "user/revoke": "UserRevokeRole",
    "role/add": "RoleAdd",
    "role/get": "RoleGet",
    "role/list": "RoleList",
    "role/delete": "RoleDelete",
    "role/grant": "RoleGrantPermission",
    "role/revoke": "RoleRevokePermission",
  }),
  ...service("/v3/lock/", "v3lockpb.Lock", { lock: "Lock", unlock: "Unlock" }),
  ...service("/v3/election/", "v3electionpb.Election", {
    campaign: "Campaign",
    proclaim: "Proclaim",
    leader: "Leader",
    observe: "Observe",
    resign: "Resign",
  }),
];
