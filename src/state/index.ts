/** State: the process table and per-process region maps. */
export { ProcessTable, type ProcessInfo, type ProcessTableLimits } from './process-table.ts';
export {
  RegionMap,
  snapshot,
  type GapFill,
  type ProtectPiece,
  type Region,
  type RegionAttrs,
  type RegionOrigin,
  type RegionSnapshot,
} from './region-map.ts';
