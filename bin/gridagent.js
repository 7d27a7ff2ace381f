#!/usr/bin/env node
import '../dist/gridagent.mjs';
