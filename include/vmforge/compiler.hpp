// <vmforge/compiler.hpp>: the manifest compiler. Load and validate a manifest
// (load_and_validate, validate_text), lower it to its frozen QEMU argv and hotplug plan (lower,
// plug_steps, unplug_steps, render_plan_json, render_shell), and diff it against what a VM has
// (resources_of, diff, render_diff_text/json): the diff of two manifests is
// diff(desired, Current{resources_of(old), &old}). Pure: no sockets, no processes.
#pragma once

#include "compiler/argv_format.hpp"
#include "compiler/compile.hpp"
#include "compiler/diff.hpp"
#include "compiler/diff_render.hpp"
#include "compiler/plan.hpp"
#include "compiler/resources.hpp"
