import type { FigureDef } from '../tiles.ts';

/**
 * Mount point for the KPI pack's columns on the console's queue table (issue 6): append
 * FigureDefs here (value read from the row the server sent) and they appear after the engine's.
 */
export const kpiColumns: FigureDef[] = [];
