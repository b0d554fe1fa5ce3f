import type { FastifyReply } from 'fastify';

/**
 * UTF-8 byte-order mark. Excel on a Chinese Windows reads a CSV without it in the local code page
 * (GBK), so Chinese text (queue names, alert messages) turns to mojibake; with it, as UTF-8.
 */
export const utf8Bom = '\uFEFF';

/** Answers `csv` as a download named `filename`: UTF-8 with a BOM, for Excel. */
export function sendCsv(reply: FastifyReply, filename: string, csv: string): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${filename}"`)
    .send(utf8Bom + csv);
}
