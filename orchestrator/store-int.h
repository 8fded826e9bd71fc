/*
 * store-int.h - what the files of the store module (orchestrator/store*.c)
 * share, and nothing else may include: the store module is the one seam
 * of sqlite3. store.c owns the connection, the schema and the writes of a
 * run; store-*.c files add the reads and writes of one concern each
 * (game days, reports), with statements of their own.
 */
#ifndef HV_STORE_INT_H
#define HV_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* The connection of an open store (borrowed). */
sqlite3	*hv_store_sqlite(struct hv_store *);

#endif
