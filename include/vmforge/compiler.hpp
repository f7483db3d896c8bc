// <vmforge/compiler.hpp>: the manifest compiler. Load and validate a manifest
// (load_and_validate, validate_text), lower it to its frozen QEMU argv and hotplug plan (lower,
// plug_steps, unplug_steps, render_plan_json, render_shell), and diff it against what a VM has
// (resources_of, diff, render_diff_text/json): the diff of two manifests is
// diff(desired, Current{resources_of(old), &old}). Pure: no sockets, no processes.
#pragma once

#include "compiler/diff/diff.hpp"
#include "compiler/diff/render.hpp"
#include "compiler/diff/resources.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/plan/argv_format.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"
