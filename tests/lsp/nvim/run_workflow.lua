-- Headless Neovim as a real LSP client of `swath lsp`:
--   nvim --headless --clean -l run_workflow.lua ROOT PYTHON OUT.json
-- Starts the server with vim.lsp.start, runs todo-audit through workspace/executeCommand,
-- waits for the diagnostics and the progress end, edits the buffer, and writes what it saw.
local root, python, out_path = arg[1], arg[2], arg[3]
local seen = { progress = {}, published = {}, errors = {} }

local function fail(msg)
  table.insert(seen.errors, msg)
end

vim.o.swapfile = false
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(ev)
    local value = ev.data.params.value
    if type(value) == "table" then
      table.insert(seen.progress, { token = ev.data.params.token, kind = value.kind, message = value.message })
    end
  end,
})

local default_publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx)
  local lines = {}
  for _, d in ipairs(result.diagnostics) do
    table.insert(lines, d.range.start.line)
  end
  table.insert(seen.published, { uri = result.uri, lines = lines })
  return default_publish(err, result, ctx)
end

vim.cmd.edit(root .. "/pkg/m001.py")
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start({ name = "swath", cmd = { python, "-m", "swath", "lsp" }, root_dir = root })
if not vim.wait(20000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c ~= nil and c.initialized
end, 20) then
  fail("the server did not initialize")
end
local client = vim.lsp.get_client_by_id(client_id)

local resp = client:request_sync("workspace/executeCommand",
  { command = "swath.runWorkflow", arguments = { { workflow = "todo-audit" } } }, 20000, buf)
local run_id = resp and resp.result and resp.result.runId
seen.run_id = run_id
if not run_id then
  fail("executeCommand returned " .. vim.inspect(resp))
end
local token = "swath-run-" .. tostring(run_id)

local function ended()
  for _, p in ipairs(seen.progress) do
    if p.token == token and p.kind == "end" then
      return true
    end
  end
  return false
end

if not vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 and ended() end, 20) then
  fail("no diagnostics or no progress end")
end

local diags = vim.diagnostic.get(buf)
seen.diagnostics = {}
for _, d in ipairs(diags) do
  table.insert(seen.diagnostics, { lnum = d.lnum, col = d.col, end_col = d.end_col, source = d.source,
    code = d.code, message = d.message })
end

-- A line inserted above the finding: the server republishes it one line down.
local before = #seen.published
vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "import os" })
if not vim.wait(10000, function()
  for i = before + 1, #seen.published do
    local p = seen.published[i]
    if p.uri == vim.uri_from_bufnr(buf) and #p.lines == 1 and p.lines[1] == 4 then
      return true
    end
  end
  return false
end, 20) then
  fail("the diagnostic did not move with the edit")
end

local lenses = client:request_sync("textDocument/codeLens",
  { textDocument = { uri = vim.uri_from_bufnr(buf) } }, 10000, buf)
seen.lenses = {}
for _, l in ipairs((lenses and lenses.result) or {}) do
  table.insert(seen.lenses, { line = l.range.start.line, title = l.command and l.command.title })
end

client:stop()
vim.wait(5000, function() return client:is_stopped() end, 20)
local f = assert(io.open(out_path, "w"))
f:write(vim.json.encode(seen))
f:close()
vim.cmd("qall!")
