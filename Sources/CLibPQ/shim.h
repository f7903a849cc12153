#ifndef PODIUM_CLIBPQ_SHIM_H
#define PODIUM_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/* Swift does not import character-literal macros such as PG_DIAG_SQLSTATE ('C').
   Re-export the ones Podium reads as typed constants. */
static const int podium_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int podium_diag_severity = PG_DIAG_SEVERITY_NONLOCALIZED;
static const int podium_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
static const int podium_diag_message_detail = PG_DIAG_MESSAGE_DETAIL;
static const int podium_diag_message_hint = PG_DIAG_MESSAGE_HINT;
static const int podium_diag_constraint_name = PG_DIAG_CONSTRAINT_NAME;
static const int podium_diag_table_name = PG_DIAG_TABLE_NAME;
static const int podium_diag_column_name = PG_DIAG_COLUMN_NAME;

#endif
