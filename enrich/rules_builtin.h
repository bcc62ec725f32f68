/* rules_builtin.h - the built-in rules as rules-file lines, NULL-terminated. */
#ifndef TETRA_ENRICH_RULES_BUILTIN_H
#define TETRA_ENRICH_RULES_BUILTIN_H

extern const char *const rules_builtin[];

#endif
