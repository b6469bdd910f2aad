/* SIGINT and SIGTERM, counted instead of killing the process, while a load
 * run (or a script that asked, like bench.lua) wants to end on its own
 * terms: print what ran, write its files, exit 130. Only the main thread
 * should receive them: threads started while they are trapped block both
 * (intr_block), wrk's shape. A third signal gets the default action, so a
 * run that does not stop can still be killed from the keyboard. */
#ifndef DS_INTERRUPT_H
#define DS_INTERRUPT_H

#include <signal.h>

/* Counts signals from now on; nested calls nest. 0, or -1 (errno). */
int intr_trap(void);
/* Undoes one intr_trap; the last one restores the previous actions. */
void intr_untrap(void);
/* Signals received since the outermost intr_trap. */
int intr_count(void);
/* Blocks SIGINT and SIGTERM in the calling thread (before creating
 * threads that inherit the mask); the old mask into *old. */
void intr_block(sigset_t *old);
void intr_restore(const sigset_t *old);

#endif
