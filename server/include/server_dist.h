/* The server's delay distributions (--delay's syntax: SECONDS |
 * uniform:A,B | exp:MEAN | lognormal:MEDIAN,P99, in seconds) for the rest
 * of the program: the client's clock.think draws its pauses from the same
 * parser and sampler as the server's delays. */
#ifndef DS_SERVER_DIST_H
#define DS_SERVER_DIST_H

#include <stddef.h>
#include <stdint.h>

/* One draw of spec in seconds (0..3600) into *out, its randomness all
 * from seed: the same spec and seed give the same draw on every machine.
 * 0, or -1 with one line in err ending with the spec quoted. */
int ds_dist_draw(const char *spec, uint64_t seed, double *out, char *err, size_t errlen);

#endif
