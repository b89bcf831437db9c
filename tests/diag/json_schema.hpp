#pragma once
// A small JSON Schema (draft 2020-12) validator for the tests: the keywords the doctor's schema
// uses (type, enum, const, required, properties, additionalProperties: false, items, minimum,
// $ref to #/$defs/...). A schema keyword it does not know is reported as an error, so the schema
// cannot grow past what the tests check. Header-only: the diag and tools tests both use it.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace ignis::testing {

class JsonSchema {
 public:
  explicit JsonSchema(nlohmann::json schema) : root_(std::move(schema)) {}

  /// Every violation as "<json pointer>: <what>"; empty when `doc` is valid.
  std::vector<std::string> validate(const nlohmann::json& doc) const {
    std::vector<std::string> errors;
    check(root_, doc, "", errors);
    return errors;
  }

 private:
  static bool has_type(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "null") return v.is_null();
    return false;
  }

  void check(const nlohmann::json& schema, const nlohmann::json& v, const std::string& at,
             std::vector<std::string>& errors) const {
    static const std::set<std::string> kKnown = {
        "$schema", "$id",      "title",      "description",          "$defs", "type",    "enum",
        "const",   "required", "properties", "additionalProperties", "items", "minimum", "$ref"};
    for (const auto& [key, _] : schema.items()) {
      if (!kKnown.count(key))
        errors.push_back(at + ": schema keyword \"" + key +
                         "\" is not supported by the test validator");
    }
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size()))) {
        errors.push_back(at + ": unresolvable $ref " + ref);
      } else {
        check(root_["$defs"][ref.substr(prefix.size())], v, at, errors);
      }
    }
    if (schema.contains("type")) {
      const auto& t = schema["type"];
      bool ok = false;
      if (t.is_string()) ok = has_type(v, t);
      for (const auto& one : t.is_array() ? t : nlohmann::json::array())
        ok = ok || has_type(v, one);
      if (!ok) {
        errors.push_back(at + ": " + v.dump() + " is not of type " + t.dump());
        return;
      }
    }
    if (schema.contains("const") && v != schema["const"])
      errors.push_back(at + ": " + v.dump() + " is not " + schema["const"].dump());
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e == v;
      if (!found)
        errors.push_back(at + ": " + v.dump() + " is not one of " + schema["enum"].dump());
    }
    if (schema.contains("minimum") && v.is_number() &&
        v.get<double>() < schema["minimum"].get<double>()) {
      errors.push_back(at + ": " + v.dump() + " is below the minimum " + schema["minimum"].dump());
    }
    if (v.is_object()) {
      for (const auto& key : schema.value("required", nlohmann::json::array())) {
        if (!v.contains(key.get<std::string>()))
          errors.push_back(at + ": missing required \"" + key.get<std::string>() + "\"");
      }
      const auto props = schema.value("properties", nlohmann::json::object());
      for (const auto& [key, value] : v.items()) {
        if (props.contains(key)) {
          check(props[key], value, at + "/" + key, errors);
        } else if (schema.contains("additionalProperties") &&
                   schema["additionalProperties"] == false) {
          errors.push_back(at + ": property \"" + key + "\" is not in the schema");
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i)
        check(schema["items"], v[i], at + "/" + std::to_string(i), errors);
    }
  }

  nlohmann::json root_;
};

}  // namespace ignis::testing
