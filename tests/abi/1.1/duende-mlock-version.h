/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The version header of release 1.1.0, as its build generated it. */
#ifndef DUENDE_MLOCK_VERSION_H
#define DUENDE_MLOCK_VERSION_H

#define DUENDE_MLOCK_VERSION_MAJOR 1
#define DUENDE_MLOCK_VERSION_MINOR 1
#define DUENDE_MLOCK_VERSION_PATCH 0
#define DUENDE_MLOCK_VERSION_STRING "1.1.0"

#endif
