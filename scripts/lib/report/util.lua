-- What the report's parts share: HTML escaping, number formats, and small
-- table helpers. Times are seconds in the JSON and milliseconds on charts.
local M = {}

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- A value as text: integers without ".0" (JSON decodes 2 as 2.0).
function M.text(v)
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return string.format("%d", v)
  end
  if v == nil then return nil end
  return tostring(v)
end

function M.esc(s)
  if s == nil then return "" end
  return (M.text(s):gsub("[&<>\"']", ESC))
end

-- 1234567 -> "1,234,567"
function M.count(n)
  if n == nil then return "-" end
  local s = string.format("%d", math.floor(n + 0.5))
  local sign, digits = s:match("^(-?)(%d+)$")
  digits = digits:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return sign .. digits
end

-- Seconds in a unit that keeps 3-4 significant digits: 523us, 12.34ms, 1.002s.
function M.time(s)
  if type(s) ~= "number" then return "-" end
  if s < 0.001 then return string.format("%.0fus", s * 1e6) end
  if s < 1 then return string.format("%.2fms", s * 1e3) end
  if s < 100 then return string.format("%.3fs", s) end
  return string.format("%.1fs", s)
end

function M.rate(r) return type(r) == "number" and string.format("%.1f/s", r) or "-" end
function M.pct(x, digits) return type(x) == "number" and string.format("%." .. (digits or 1) .. "f%%", 100 * x) or "-" end
function M.signed_pct(x) return type(x) == "number" and string.format("%+.1f%%", x) or "-" end

-- Seconds -> milliseconds rounded to 1 us, for the charts' data.
function M.ms(s)
  if type(s) ~= "number" then return nil end
  return math.floor(s * 1e6 + 0.5) / 1e3
end

-- A number rounded to `digits` significant digits (smaller JSON).
function M.round(x, digits)
  if type(x) ~= "number" or x == 0 or x ~= x then return x end
  local m = 10 ^ ((digits or 4) - 1 - math.floor(math.log(math.abs(x), 10)))
  return math.floor(x * m + 0.5) / m
end

function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- <table> from a header list and rows of cells; a cell is a string (HTML,
-- already escaped) or {html, class}.
function M.table(head, rows, class)
  local out = { '<table class="', class or "grid", '"><thead><tr>' }
  for _, h in ipairs(head) do out[#out + 1] = "<th>" .. h .. "</th>" end
  out[#out + 1] = "</tr></thead><tbody>"
  for _, row in ipairs(rows) do
    out[#out + 1] = row.class and ('<tr class="' .. row.class .. '">') or "<tr>"
    for _, cell in ipairs(row) do
      if type(cell) == "table" then
        out[#out + 1] = '<td class="' .. cell[2] .. '">' .. cell[1] .. "</td>"
      else
        out[#out + 1] = "<td>" .. cell .. "</td>"
      end
    end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out)
end

-- A key/value list for headers: {{"scenario", "x.lua"}, ...}, absent values left out.
function M.facts(list)
  local out = { '<dl class="facts">' }
  for _, kv in ipairs(list) do
    if kv[2] ~= nil and kv[2] ~= "" then
      out[#out + 1] = "<div><dt>" .. M.esc(kv[1]) .. "</dt><dd>" .. kv[2] .. "</dd></div>"
    end
  end
  out[#out + 1] = "</dl>"
  return table.concat(out)
end

return M
