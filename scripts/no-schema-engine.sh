#!/bin/sh
# Stands in for Prisma's native schema engine, which cannot be downloaded on
# offline machines. Migrations run through the WASM engine instead.
echo "The native Prisma schema engine is not used here: run npm run db:migrate or npm run db:deploy." >&2
exit 1
