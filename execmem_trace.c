// SPDX-License-Identifier: GPL-2.0
/*
 * The one translation unit that defines execmem's tracepoints
 * (execmem_trace.h, docs/tracing.md).
 */
#define CREATE_TRACE_POINTS
#include "execmem_trace.h"
