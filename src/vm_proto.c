// SPDX-License-Identifier: GPL-2.0
#include "vm_proto.h"
