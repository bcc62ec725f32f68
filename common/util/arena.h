/* arena.h - what the codec's modules share about pj_arena internals. */
#ifndef TETRA_ARENA_H
#define TETRA_ARENA_H

#include "codec/jsonscan.h"
#include "codec/pjson.h"

/* The scanner whose token array lives as long as the arena. */
jscan *pj_arena_scanner(pj_arena *a);

#endif
